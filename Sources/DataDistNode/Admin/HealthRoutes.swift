import DataDistModel
import HTTPCore

/// `/healthz`, `/readyz`, `/v1/node`, `/metrics` (CONTRACT §7).
struct HealthRoutes: Sendable {
    let core: NodeCore

    func healthz(_ ctx: RouteContext) -> HTTPResponse {
        .json(200, ["status": "ok"])
    }

    /// Ready when the node can do its role's work: a PROMPT needs its peer listener bound (not in
    /// `--compat cache-manager`, where a node that serves is ready, CONTRACT §4a).
    func readyz(_ ctx: RouteContext) -> HTTPResponse {
        let (role, listening, stopping) = core.state.withLock { ($0.role.role, $0.peerServer != nil, $0.stopping) }
        if stopping {
            return .json(503, ["status": "not_ready", "reason": "the node is shutting down"])
        } else if role == .prompt && !listening && core.config.compat.readyNeedsPromptListener {
            return .json(503, ["status": "not_ready", "reason": "PROMPT without a bound peer listener"])
        } else {
            return .json(200, ["status": "ready", "role": .string(role.rawValue)])
        }
    }

    func node(_ ctx: RouteContext) -> HTTPResponse {
        let c = core.config
        let (role, links, pools, caches) = core.state.withLock {
            ($0.role, $0.links, $0.caches.poolUsage, $0.caches.cacheCount)
        }
        let body: JSONValue = [
            "cluster_id": role.clusterID.json,
            "role": .string(role.role.rawValue),
            "role_epoch": role.epoch.json,
            "listen_ip_info": role.listen.map { .string($0.description) } ?? .null,
            "switch_role_enabled": .bool(role.switchEnabled),
            "compat": .string(role.profile.rawValue),
            "device_ids": .array(c.deviceIDs.map { .int(Int64($0)) }),
            "boot_id": .string(core.bootID),
            "version": .string(DataDistVersion.string),
            "peer_protocol_version": .int(Int64(PeerProtocol.version)),
            "uptime_seconds": .double(core.uptimeSeconds),
            "pools": .array(pools.map { core.memory.poolJSON($0, deviceIDs: c.deviceIDs) }),
            "memory_note": "no accelerator: DEVICE and HOST pools are both host RAM",
            "link_count": .int(Int64(links.count)),
            "links_in_progress": .int(Int64(links.pending.count)),
            "cache_count": .int(Int64(caches)),
            "tls": core.tls.json,
            "kernel_tls": NodeTLS.kernelJSON,
        ]
        return .json(200, body)
    }

    /// Prometheus text exposition format 0.0.4.
    func metrics(_ ctx: RouteContext) -> HTTPResponse {
        let (role, links) = core.state.withLock { ($0.role, $0.links) }
        var out = ""
        out += "# HELP datadist_http_requests_total Admin API requests by route and HTTP status.\n"
        out += "# TYPE datadist_http_requests_total counter\n"
        for (route, status, count) in core.metrics.snapshot() {
            out += "datadist_http_requests_total{route=\"\(Self.escape(route))\",status=\"\(status)\"} \(count)\n"
        }
        out += "# HELP datadist_role The node's role (1 for the current one).\n# TYPE datadist_role gauge\n"
        for r in Role.allCases {
            out += "datadist_role{role=\"\(r.rawValue)\"} \(r == role.role ? 1 : 0)\n"
        }
        out += "# HELP datadist_role_epoch The role epoch: successful switches since start.\n"
        out += "# TYPE datadist_role_epoch gauge\n"
        out += "datadist_role_epoch \(role.epoch)\n"
        out += "# HELP datadist_links Links by direction.\n# TYPE datadist_links gauge\n"
        for d in [LinkDirection.inbound, .outbound] {
            out +=
                "datadist_links{direction=\"\(d.rawValue)\"} \(links.links.values.filter { $0.direction == d }.count)\n"
        }
        out +=
            "# HELP datadist_peer_listening 1 when the peer listener is bound.\n# TYPE datadist_peer_listening gauge\n"
        out += "datadist_peer_listening \(role.listen == nil ? 0 : 1)\n"
        out +=
            "# HELP datadist_uptime_seconds Seconds since the process started.\n# TYPE datadist_uptime_seconds gauge\n"
        out += "datadist_uptime_seconds \(core.uptimeSeconds)\n"
        let (pools, caches, keys) = core.state.withLock {
            ($0.caches.poolUsage, $0.caches.cacheCount, $0.caches.boundKeyCount)
        }
        out +=
            "# HELP datadist_pool_used_bytes Bytes allocated from each memory pool.\n# TYPE datadist_pool_used_bytes gauge\n"
        for p in pools {
            out +=
                "datadist_pool_used_bytes{placement=\"\(p.placement.rawValue)\",device_id=\"\(p.deviceID)\"} \(p.used)\n"
        }
        out +=
            "# HELP datadist_pool_capacity_bytes Capacity of each memory pool.\n# TYPE datadist_pool_capacity_bytes gauge\n"
        for p in pools {
            out +=
                "datadist_pool_capacity_bytes{placement=\"\(p.placement.rawValue)\",device_id=\"\(p.deviceID)\"} \(p.capacity)\n"
        }
        out += "# HELP datadist_caches Visible caches.\n# TYPE datadist_caches gauge\n"
        out += "datadist_caches \(caches)\n"
        out += "# HELP datadist_cache_keys Cache keys bound.\n# TYPE datadist_cache_keys gauge\n"
        out += "datadist_cache_keys \(keys)\n"
        out += "# HELP datadist_kv_lease_expired_total Keys whose lease ran out before they were pulled.\n"
        out += "# TYPE datadist_kv_lease_expired_total counter\n"
        out += "datadist_kv_lease_expired_total \(core.leasesExpired.load(ordering: .relaxed))\n"
        out += Self.loadGauges(
            core.state.withLock { [waiting = core.progressiveSources.waiting] in
                OrchestrationRoutes.load($0, waiting: waiting)
            },
            streams: core.eventStreams.count,
            queued: core.asyncLanes.queued
        )
        out += core.transferMetrics.exposition
        out += core.state.holds.exposition()
        return HTTPResponse(status: 200, headers: ["Content-Type": "text/plain; version=0.0.4"], body: Array(out.utf8))
    }

    /// The load signals of `GET /v1/node/load` as gauges (CONTRACT §12).
    private static func loadGauges(_ load: JSONValue, streams: Int, queued: Int) -> String {
        func int(_ key: String) -> String {
            if case .int(let v)? = load[key] { return "\(v)" }
            return "0"
        }
        var out = ""
        for (name, key, help) in [
            ("datadist_transfers_in_flight", "transfers_in_flight", "Transfers running now, initiated or served."),
            ("datadist_transfers_waiting", "transfers_waiting", "Transfers waiting for layers to become ready."),
            ("datadist_unpulled_kv_keys", "unpulled_keys", "Cache keys bound and not yet pulled."),
            ("datadist_unpulled_kv_bytes", "unpulled_bytes", "Bytes held by cache keys not yet pulled."),
        ] {
            out += "# HELP \(name) \(help)\n# TYPE \(name) gauge\n\(name) \(int(key))\n"
        }
        out += "# HELP datadist_draining 1 while a role switch drains.\n# TYPE datadist_draining gauge\n"
        out += "datadist_draining \(load["draining"] == .bool(true) ? 1 : 0)\n"
        out += "# HELP datadist_event_streams Open /v1/events streams.\n# TYPE datadist_event_streams gauge\n"
        out += "datadist_event_streams \(streams)\n"
        out += "# HELP datadist_transfers_queued Asynchronous transfers waiting for a lane to their peer "
        out += "(counted in datadist_transfers_in_flight too).\n# TYPE datadist_transfers_queued gauge\n"
        out += "datadist_transfers_queued \(queued)\n"
        out +=
            "# HELP datadist_pool_utilization_ratio Used share of each memory pool.\n"
            + "# TYPE datadist_pool_utilization_ratio gauge\n"
        if case .array(let pools)? = load["pools"] {
            for p in pools {
                guard case .string(let placement)? = p["placement"], case .int(let device)? = p["device_id"],
                    case .double(let u)? = p["utilization"]
                else { continue }
                out += "datadist_pool_utilization_ratio{placement=\"\(placement)\",device_id=\"\(device)\"} \(u)\n"
            }
        }
        return out
    }

    private static func escape(_ s: String) -> String {
        s.replacingOccurrences("\\", "\\\\").replacingOccurrences("\"", "\\\"").replacingOccurrences("\n", "\\n")
    }
}

extension String {
    fileprivate func replacingOccurrences(_ a: String, _ b: String) -> String {
        split(separator: a, omittingEmptySubsequences: false).joined(separator: b)
    }
}
