import Foundation
import Testing

@testable import DataDistNode

/// The spec and the server's route table list the same (method, path) pairs.
@Suite struct OpenAPIRouteTests {
    static func specRoutes() throws -> Set<String> {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("openapi.yaml")
        let text = try String(contentsOf: url, encoding: .utf8)
        var routes: Set<String> = []
        var inPaths = false
        var path: String?
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line == "paths:" {
                inPaths = true
                continue
            }
            if inPaths, let first = line.first, first != " " { inPaths = false }
            guard inPaths else { continue }
            if line.hasPrefix("  /"), line.hasSuffix(":"), !line.hasPrefix("   ") {
                path = String(line.dropFirst(2).dropLast())
            } else if let path, line.hasPrefix("    "), !line.hasPrefix("     "), line.hasSuffix(":") {
                let method = line.trimmingCharacters(in: .whitespaces).dropLast().uppercased()
                if ["GET", "PUT", "POST", "DELETE", "PATCH", "HEAD"].contains(method) {
                    routes.insert("\(method) \(path)")
                }
            }
        }
        return routes
    }

    @Test func specAndRouteTableAgree() throws {
        let (core, _) = makeAdmin()
        let table = Set(
            AdminRoutes.table(
                core: core,
                roles: RoleController(core: core, links: LinkController(core: core)),
                links: LinkController(core: core),
                transfers: TransferController(core: core)
            ).map {
                "\($0.method) \($0.pattern)"
            }
        )
        let spec = try Self.specRoutes()
        #expect(!spec.isEmpty)
        #expect(
            table.subtracting(spec).isEmpty,
            "routes missing from openapi.yaml: \(table.subtracting(spec).sorted())"
        )
        #expect(
            spec.subtracting(table).isEmpty,
            "routes in openapi.yaml the server lacks: \(spec.subtracting(table).sorted())"
        )
    }
}
