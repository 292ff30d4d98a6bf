import DataDistModel

/// The JSON shape of a link in `GET /v1/links` (CONTRACT §5).
enum LinkListing {
    static func json(_ link: Link) -> JSONValue {
        [
            "remote_cluster_id": JSONValue(link.remoteClusterID),
            "direction": .string(link.direction.rawValue),
            "remote_ip_info": .string(link.remoteIPInfo),
            "remote_boot_id": .string(link.remoteBootID),
            "linked_at": .string(RFC3339.format(unixMs: link.linkedAtMs)),
            "bytes_pulled": JSONValue(link.bytesPulled),
            "bytes_pushed": JSONValue(link.bytesPushed),
        ]
    }

    static func list(_ table: LinkTable) -> JSONValue {
        ["links": .array(table.remoteClusterIDs.compactMap { table[$0] }.map(json))]
    }
}
