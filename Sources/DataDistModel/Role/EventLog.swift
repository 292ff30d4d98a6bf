/// One node event (CONTRACT §12): `data: {"seq", "type", "at", "boot_id", …fields}` on `/v1/events`.
public struct NodeEvent: Sendable, Equatable {
    public var seq: UInt64
    public var type: String
    /// Unix milliseconds (shown as RFC 3339).
    public var atUnixMs: Int64
    public var fields: [(key: String, value: JSONValue)]
    /// `sse(bootID:)` as bytes, rendered once when the event was recorded by a log that knows its boot id: every
    /// open stream sends the same text, and 64 streams must not serialize each event 64 times.
    public internal(set) var framed: [UInt8] = []

    public static func == (a: NodeEvent, b: NodeEvent) -> Bool {
        a.seq == b.seq && a.type == b.type && a.atUnixMs == b.atUnixMs && a.fields.map(\.key) == b.fields.map(\.key)
            && a.fields.map(\.value) == b.fields.map(\.value)
    }

    /// The `data:` object.
    public func json(bootID: String) -> JSONValue {
        var members: [(key: String, value: JSONValue)] = [
            ("seq", JSONValue.uint(seq).normalized), ("type", .string(type)),
            ("at", .string(RFC3339.format(unixMs: atUnixMs))), ("boot_id", .string(bootID)),
        ]
        for (key, value) in fields where !["seq", "type", "at", "boot_id"].contains(key) {
            members.append((key, value))
        }
        return .object(JSONObject(members))
    }

    /// The event in `text/event-stream` framing: `id`, `event`, one `data` line, a blank line.
    public func sse(bootID: String) -> String {
        "id: \(seq)\nevent: \(type)\ndata: \(json(bootID: bootID).serialized)\n\n"
    }
}

/// The last `capacity` events, numbered from 1 (CONTRACT §12). Pure; the node keeps it under its lock.
public struct EventLog: Sendable {
    public let capacity: Int
    /// Rendered into each event's `framed` bytes; empty: events are not pre-rendered.
    public let bootID: String
    private var ring: [NodeEvent] = []
    /// Index in `ring` of the oldest event once the ring is full.
    private var head = 0
    /// The sequence number the next event gets.
    public private(set) var nextSeq: UInt64 = 1

    public init(capacity: Int, bootID: String = "") {
        precondition(capacity > 0)
        self.capacity = capacity
        self.bootID = bootID
        ring.reserveCapacity(min(capacity, 4096))
    }

    /// The newest sequence number given out (0 before the first event).
    public var lastSeq: UInt64 { nextSeq - 1 }

    /// The oldest sequence number still held (nextSeq when empty).
    public var firstHeld: UInt64 { nextSeq - UInt64(ring.count) }

    @discardableResult
    public mutating func append(
        _ type: String,
        atUnixMs: Int64,
        _ fields: [(key: String, value: JSONValue)] = []
    )
        -> NodeEvent
    {
        var event = NodeEvent(seq: nextSeq, type: type, atUnixMs: atUnixMs, fields: fields)
        if !bootID.isEmpty { event.framed = Array(event.sse(bootID: bootID).utf8) }
        nextSeq += 1
        if ring.count < capacity {
            ring.append(event)
        } else {
            ring[head] = event
            head = (head + 1) % capacity
        }
        return event
    }

    /// The events after `seq`, oldest first, at most `limit`; `reset` when some after `seq` are no longer held.
    public func events(after seq: UInt64, limit: Int = .max) -> (reset: Bool, events: [NodeEvent]) {
        let reset = seq + 1 < firstHeld
        let start = max(seq + 1, firstHeld)
        guard start < nextSeq, limit > 0 else { return (reset, []) }
        let count = Int(min(UInt64(limit), nextSeq - start))
        let offset = Int(start - firstHeld)
        var out: [NodeEvent] = []
        out.reserveCapacity(count)
        for i in offset..<(offset + count) { out.append(ring[(head + i) % ring.count]) }
        return (reset, out)
    }
}
