import ArgumentParser

/// Turns the command line and `DATADIST_*` into `ServeFlags`, by rules that know no single flag: the flags
/// are read from `ServeFlags`'s declarations. Every complaint is one line that names the flag.
public enum ServeSettings {
    public struct Invalid: Error, Sendable, Equatable {
        public var message: String
    }

    /// `arguments` are what follows `serve`; `environment` holds `DATADIST_<NAME>` values (name without the
    /// prefix, e.g. `CLUSTER_ID`). A flag on the command line wins over its environment value.
    public static func parse(_ arguments: [String], environment: [String: String] = [:]) throws(Invalid) -> ServeFlags {
        let declared = declaredFlags()
        var normalized = try checked(arguments, declared: declared)
        let given = Set(normalized.map { flagName($0) })
        for (key, value) in environment.sorted(by: { $0.key < $1.key }) {
            let name = String(key.lowercased().map { $0 == "_" ? "-" : $0 })
            guard let flag = declared[name], !given.contains(name) else { continue }
            if flag.takesValue {
                try flag.check(value, flag: "--\(name)")
                normalized += written(name, value)
            } else if try boolean(value, flag: "--\(name)") {
                normalized.append("--\(name)")
            }
        }
        do {
            return try ServeFlags.parse(normalized)
        } catch {
            let text = ServeFlags.message(for: error)
            throw Invalid(message: String(text.split(separator: "\n").first ?? Substring(text)))
        }
    }

    /// Checks each declared flag's value with its type's parser (so the complaint is ours, not ArgumentParser's)
    /// and writes it as `written` says.
    static func checked(_ arguments: [String], declared: [String: any DeclaredFlag]) throws(Invalid) -> [String] {
        var out: [String] = []
        var i = 0
        while i < arguments.count {
            let arg = arguments[i]
            i += 1
            guard arg.hasPrefix("--"), let flag = declared[flagName(arg)], flag.takesValue else {
                out.append(arg)
                continue
            }
            let name = flagName(arg)
            let value: String
            if let eq = arg.firstIndex(of: "=") {
                value = String(arg[arg.index(after: eq)...])
            } else if i < arguments.count {
                value = arguments[i]
                i += 1
            } else {
                throw Invalid(message: "--\(name): missing value")
            }
            try flag.check(value, flag: "--\(name)")
            out += written(name, value)
        }
        return out
    }

    /// `--name=value` when the value starts with `-` (so `-5` is not taken for an option); else two arguments
    /// (ArgumentParser reads `--name=` as a missing value, but `--name ""` as an empty one).
    static func written(_ name: String, _ value: String) -> [String] {
        value.hasPrefix("-") ? ["--\(name)=\(value)"] : ["--\(name)", value]
    }

    /// `--name=value` / `--name` → `name`; anything else → "".
    static func flagName(_ arg: String) -> String {
        guard arg.hasPrefix("--") else { return "" }
        return String(arg.dropFirst(2).prefix { $0 != "=" })
    }

    /// The flags `ServeFlags` declares, by name (`_syncKvTimeoutMs` → `sync-kv-timeout-ms`, ArgumentParser's rule).
    static func declaredFlags() -> [String: any DeclaredFlag] {
        var out: [String: any DeclaredFlag] = [:]
        for child in Mirror(reflecting: ServeFlags()).children {
            guard let label = child.label, let flag = child.value as? any DeclaredFlag else { continue }
            var name = ""
            for c in label.drop(while: { $0 == "_" }) {
                if c.isUppercase { name += "-" + c.lowercased() } else { name.append(c) }
            }
            out[name] = flag
        }
        return out
    }

    static func boolean(_ text: String, flag: String) throws(Invalid) -> Bool {
        switch text.lowercased() {
        case "1", "true", "yes", "on": return true
        case "0", "false", "no", "off", "": return false
        default: throw Invalid(message: "\(flag): '\(text)' is not a boolean (true/false)")
        }
    }
}

/// A declared `@Option` or `@Flag` of `ServeFlags`, as the generic rules see it.
protocol DeclaredFlag {
    var takesValue: Bool { get }
    func check(_ text: String, flag: String) throws(ServeSettings.Invalid)
}

extension Option: DeclaredFlag where Value: CheckedFlagValue {
    var takesValue: Bool { true }
    func check(_ text: String, flag: String) throws(ServeSettings.Invalid) { try Value.check(text, flag: flag) }
}

extension Flag: DeclaredFlag where Value == Bool {
    var takesValue: Bool { false }
    func check(_ text: String, flag: String) throws(ServeSettings.Invalid) {
        _ = try ServeSettings.boolean(text, flag: flag)
    }
}
