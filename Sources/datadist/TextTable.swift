import DataDistModel

/// Human tables for the operator commands: aligned columns, JSON values shown compactly.
enum TextTable {
    /// A JSON value as a cell: strings bare, null as `-`, anything else as compact JSON.
    static func cell(_ value: JSONValue?) -> String {
        switch value {
        case nil, .null?: "-"
        case .string(let s)?: s
        case let v?: v.serialized
        }
    }

    /// Columns padded to their widest cell, two spaces apart.
    static func render(header: [String], rows: [[String]]) -> String {
        var widths = header.map(\.count)
        for row in rows {
            for (i, cell) in row.enumerated() where i < widths.count { widths[i] = max(widths[i], cell.count) }
        }
        func line(_ cells: [String]) -> String {
            var out = ""
            for (i, cell) in cells.enumerated() {
                let last = i == cells.count - 1
                out += last ? cell : cell + String(repeating: " ", count: widths[i] - cell.count + 2)
            }
            return out
        }
        return ([line(header)] + rows.map(line)).joined(separator: "\n")
    }

    /// An object as `field  value` rows.
    static func fields(_ value: JSONValue) -> String {
        let members = value.objectValue?.members ?? []
        return render(header: ["FIELD", "VALUE"], rows: members.map { [$0.key, cell($0.value)] })
    }

    /// An array of objects as one row each, with the named columns.
    static func list(_ items: [JSONValue]?, columns: [String]) -> String {
        let rows = (items ?? []).map { item in columns.map { cell(item[$0]) } }
        return render(header: columns.map { $0.uppercased() }, rows: rows)
    }
}
