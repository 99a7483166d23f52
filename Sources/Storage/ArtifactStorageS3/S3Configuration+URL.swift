public import ArtifactStorage

extension S3Configuration {
    /// The query items an `s3://` URL may carry.
    public static let urlQueryItems: Set<String> = ["region", "endpoint", "pathStyle", "redirect", "redirectExpiry"]

    /// Parses `s3://bucket[/prefix][?region=…&endpoint=…&pathStyle=true|false&redirect=true|false&redirectExpiry=…]`;
    /// the rules are those of the `StorageURL` initializer.
    public init(url text: String) throws(StorageError) {
        try self.init(url: StorageURL(parsing: text))
    }

    /// The one parser of `s3://bucket[/prefix][?region=…&endpoint=…&pathStyle=true|false]`.
    ///
    /// ``StorageURL`` has already refused what no storage URL may contain (user info — so
    /// credentials are never in the URL —, a port after the bucket, a fragment, malformed
    /// percent-encoding, a repeated or malformed query item). This adds what S3 requires, each
    /// refusal `invalidConfiguration` naming the part: the scheme must be `s3`; the bucket a valid
    /// bucket name (3–63 of `a-z 0-9 . -`, starting and ending with a letter or digit, no `..`);
    /// the prefix (one leading and one trailing `/` dropped) a valid ``StoragePath``; the only
    /// query items `region` (`a-z 0-9 -`, default `us-east-1`), `endpoint` (`http(s)://host[:port]`
    /// with at most a trailing `/`, see ``S3Endpoint/init(parsing:)``) and `pathStyle` (`true` or
    /// `false`), `redirect` (`true` or `false`, default `false`: downloads answered with a
    /// presigned URL, ``StorageRedirecting``) and `redirectExpiry` (that URL's validity in seconds,
    /// 1 to 604800, default ``defaultRedirectExpiry``; only with `redirect=true`).
    ///
    /// Without `pathStyle`, an endpoint whose host is an IP address or `localhost` selects
    /// path-style addressing, because a virtual host (`bucket.127.0.0.1`) cannot resolve there;
    /// any other endpoint, and AWS itself, selects virtual-hosted. Credentials are left `nil`
    /// (the client reads them from the environment).
    public init(url: StorageURL) throws(StorageError) {
        guard url.scheme == "s3" else {
            throw url.invalid("scheme", "\(StorageURL.quote(url.scheme)) is not s3; expected s3://bucket/prefix")
        }
        try url.requireOnlyQueryItems(Self.urlQueryItems)

        let bucket = url.host
        guard !bucket.isEmpty else { throw url.invalid("bucket", "is missing; expected s3://bucket/prefix") }
        if let problem = Self.bucketNameProblem(bucket) {
            throw url.invalid("bucket", "\(StorageURL.quote(bucket)) is not a valid bucket name: it \(problem)")
        }

        var prefix = Substring(url.path)
        if prefix.hasPrefix("/") { prefix = prefix.dropFirst() }
        if prefix.hasSuffix("/") { prefix = prefix.dropLast() }
        if !prefix.isEmpty {
            do {
                _ = try StoragePath(String(prefix))
            } catch {
                throw url.invalid("prefix", "\(StorageURL.quote(url.path)) is not a valid path: \(error.message)")
            }
        }

        var region = "us-east-1"
        if let value = url.queryValue("region") {
            if let problem = Self.regionProblem(value) {
                throw url.invalid("region", "\(StorageURL.quote(value)) is not a region name: it \(problem)")
            }
            region = value
        }

        var endpoint: S3Endpoint?
        if let value = url.queryValue("endpoint") {
            endpoint = try S3Endpoint(parsing: value) { (why: String) -> StorageError in
                url.invalid("endpoint", "\(StorageURL.quote(StorageURL.redacting(value))) \(why)")
            }
        }

        let pathStyle: Bool
        switch url.queryValue("pathStyle") {
        case nil: pathStyle = endpoint?.isLiteralAddress ?? false
        case "true": pathStyle = true
        case "false": pathStyle = false
        case let other?: throw url.invalid("pathStyle", "\(StorageURL.quote(other)) must be true or false")
        }

        self.init(
            bucket: bucket,
            prefix: String(prefix),
            region: region,
            endpoint: endpoint,
            pathStyle: pathStyle,
            redirectExpiry: try Self.redirectExpiry(url)
        )
    }

    /// The `redirect` and `redirectExpiry` query items as ``redirectExpiry``.
    static func redirectExpiry(_ url: StorageURL) throws(StorageError) -> Int? {
        let redirect: Bool
        switch url.queryValue("redirect") {
        case nil, "false": redirect = false
        case "true": redirect = true
        case let other?: throw url.invalid("redirect", "\(StorageURL.quote(other)) must be true or false")
        }
        guard let text = url.queryValue("redirectExpiry") else { return redirect ? defaultRedirectExpiry : nil }
        guard redirect else {
            throw url.invalid("redirectExpiry", "is given but downloads are not redirected; add redirect=true or drop redirectExpiry")
        }
        guard let seconds = Int(text), text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else {
            throw url.invalid("redirectExpiry", "\(StorageURL.quote(text)) is not a whole number of seconds")
        }
        if let problem = redirectExpiryProblem(seconds) {
            throw url.invalid("redirectExpiry", "\(seconds) \(problem)")
        }
        return seconds
    }
}
