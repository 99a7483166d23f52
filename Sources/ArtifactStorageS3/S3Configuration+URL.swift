import ArtifactStorage
import Foundation

extension S3Configuration {
    /// Parses `s3://bucket[/prefix][?region=…&endpoint=…&pathStyle=true|false]` strictly.
    ///
    /// Every mistake is `invalidConfiguration` naming the part at fault: the scheme, user
    /// information (credentials never go in the URL; it is not echoed), a port on the bucket, the
    /// bucket name, the prefix (must be a valid storage path), a fragment, an unknown or repeated
    /// parameter, the region, the endpoint (an `http`/`https` URL with a host and nothing after
    /// it) or `pathStyle` (`true` or `false`). Without `pathStyle`, an endpoint whose host is an
    /// IP address or `localhost` selects path-style (virtual hosts cannot work there); otherwise
    /// virtual-hosted. Credentials are left `nil` (read from the environment later).
    public init(url text: String) throws(StorageError) {
        guard let components = URLComponents(string: text) else {
            throw StorageError(.invalidConfiguration, "S3 URL is not a valid URL")
        }
        guard let scheme = components.scheme, scheme.lowercased() == "s3" else {
            throw StorageError(
                .invalidConfiguration,
                "S3 URL scheme must be \"s3\", not \"\(components.scheme ?? "")\" (expected s3://bucket/prefix)")
        }
        guard components.user == nil, components.password == nil else {
            throw StorageError(
                .invalidConfiguration,
                "S3 URL must not contain user information; pass credentials through AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or configuration")
        }
        guard components.port == nil else {
            throw StorageError(.invalidConfiguration, "S3 URL must not have a port after the bucket name; use ?endpoint=http://host:port")
        }
        guard let bucket = components.host, !bucket.isEmpty else {
            throw StorageError(.invalidConfiguration, "S3 URL has no bucket name (expected s3://bucket/prefix)")
        }
        try Self.validateBucket(bucket)
        guard components.fragment == nil else {
            throw StorageError(.invalidConfiguration, "S3 URL must not have a fragment (\"#\(components.fragment ?? "")\")")
        }

        var prefix = components.path
        if prefix.hasPrefix("/") { prefix.removeFirst() }
        if prefix.hasSuffix("/") { prefix.removeLast() }
        if !prefix.isEmpty {
            do {
                _ = try StoragePath(prefix)
            } catch {
                throw StorageError(
                    .invalidConfiguration, "S3 URL prefix \"\(components.path)\" is not a valid path: \(error.message)",
                    underlying: error)
            }
        }

        var region = "us-east-1"
        var endpoint: S3Endpoint?
        var pathStyle: Bool?
        var seen: Set<String> = []
        for item in components.queryItems ?? [] {
            guard seen.insert(item.name).inserted else {
                throw StorageError(.invalidConfiguration, "S3 URL parameter \"\(item.name)\" is given more than once")
            }
            let value = item.value ?? ""
            switch item.name {
            case "region":
                try Self.validateRegion(value)
                region = value
            case "endpoint":
                endpoint = try S3Endpoint(parsing: value)
            case "pathStyle":
                switch value {
                case "true": pathStyle = true
                case "false": pathStyle = false
                default:
                    throw StorageError(.invalidConfiguration, "S3 URL parameter pathStyle must be \"true\" or \"false\", not \"\(value)\"")
                }
            default:
                throw StorageError(
                    .invalidConfiguration,
                    "S3 URL parameter \"\(item.name)\" is not known (known: region, endpoint, pathStyle)")
            }
        }
        self.init(
            bucket: bucket,
            prefix: prefix,
            region: region,
            endpoint: endpoint,
            pathStyle: pathStyle ?? (endpoint?.isLiteralAddress ?? false)
        )
    }
}

extension S3Endpoint {
    /// Parses `http://host[:port]` or `https://host[:port]` (a trailing `/` is allowed, nothing else).
    public init(parsing text: String) throws(StorageError) {
        guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased() else {
            throw StorageError(.invalidConfiguration, "S3 endpoint \"\(text)\" is not a URL (expected http://host:port)")
        }
        guard scheme == "http" || scheme == "https" else {
            throw StorageError(.invalidConfiguration, "S3 endpoint \"\(text)\" must use http or https, not \"\(scheme)\"")
        }
        guard let host = components.host, !host.isEmpty else {
            throw StorageError(.invalidConfiguration, "S3 endpoint \"\(text)\" has no host")
        }
        guard components.user == nil, components.password == nil else {
            throw StorageError(.invalidConfiguration, "S3 endpoint must not contain user information")
        }
        guard components.path.isEmpty || components.path == "/", components.query == nil, components.fragment == nil else {
            throw StorageError(.invalidConfiguration, "S3 endpoint \"\(text)\" must not have a path, query or fragment")
        }
        if let port = components.port, !(1...65535).contains(port) {
            throw StorageError(.invalidConfiguration, "S3 endpoint \"\(text)\" has an invalid port \(port)")
        }
        var bareHost = host
        if bareHost.hasPrefix("["), bareHost.hasSuffix("]") {
            bareHost = String(bareHost.dropFirst().dropLast())
        }
        self.init(scheme: scheme, host: bareHost, port: components.port)
    }
}
