import Glibc

/// nginx (one process, no master) on 127.0.0.1: sendfile from /dev/shm, and a fixed small JSON at
/// `/v1/role` — the baselines for bulk pulls and for the control plane. With `tls`, a second port serves the
/// same files over HTTPS (nginx's OpenSSL, the same library the node uses).
final class NginxServer: Sendable {
    let port: Int
    /// The HTTPS port, when started with `tls`.
    let tlsPort: Int?
    let process: ChildProcess
    /// Seconds from spawn to the first 200 on `/v1/role`.
    let startupSeconds: Double

    static let roleJSON =
        #"{"cluster_id":1,"role":"DECODER","role_epoch":0,"listen_ip_info":null,"switch_role_enabled":true}"#

    init(_ env: BenchEnvironment, tls: (certificate: String, key: String)? = nil) throws(BenchError) {
        port = try Loopback.freePort()
        tlsPort = tls == nil ? nil : try Loopback.freePort()
        let httpsServer =
            if let tls, let tlsPort {
                """
                server {
                        listen 127.0.0.1:\(tlsPort) ssl;
                        ssl_certificate \(tls.certificate);
                        ssl_certificate_key \(tls.key);
                        root \(env.shmDir);
                    }
                """
            } else { "" }
        let dir = "\(env.workDir)/nginx-\(port)"
        mkdir(dir, 0o755)
        let conf = """
            daemon off;
            master_process off;
            worker_processes 1;
            error_log \(dir)/error.log warn;
            pid \(dir)/nginx.pid;
            events { worker_connections 4096; }
            http {
                access_log off;
                sendfile on;
                tcp_nopush on;
                keepalive_requests 10000000;
                client_body_temp_path \(dir);
                proxy_temp_path \(dir);
                fastcgi_temp_path \(dir);
                uwsgi_temp_path \(dir);
                scgi_temp_path \(dir);
                server {
                    listen 127.0.0.1:\(port);
                    root \(env.shmDir);
                    location = /v1/role {
                        default_type application/json;
                        return 200 '\(Self.roleJSON)';
                    }
                }
                \(httpsServer)
            }

            """
        let confPath = "\(dir)/nginx.conf"
        guard let f = fopen(confPath, "w") else { throw BenchError("cannot write \(confPath)") }
        fputs(conf, f)
        fclose(f)
        process = try ChildProcess(
            try env.nginxPath(),
            ["-e", "\(dir)/error.log", "-p", dir, "-c", confPath],
            outputPath: "\(dir)/stdout.log"
        )
        let admin = AdminClient(port: port, client: env.client)
        let deadline = monotonicSeconds() + 10
        while (try? admin.download("/v1/role")) == nil {
            guard process.isRunning, monotonicSeconds() < deadline else {
                process.stop()
                throw BenchError(
                    "nginx did not start: \(process.output) \(ProcStats.readText("\(dir)/error.log") ?? "")"
                )
            }
            usleep(500)
        }
        startupSeconds = monotonicSeconds() - process.startedAt
    }

    var cpuSeconds: Double { ProcStats.cpuSeconds(process.pid) ?? .nan }

    func stop() { process.stop() }
}
