//! Names: the method of a request path (`/helloworld.Greeter/SayHello`), and the server
//! address of a client's target.

/// The fully qualified method of a gRPC path: `helloworld.Greeter/SayHello` for
/// `/helloworld.Greeter/SayHello`; `None` when the path is not `/{service}/{method}` with
/// both parts non-empty and made of visible ASCII.
pub(crate) fn method_of(path: &str) -> Option<&str> {
    let full = path.strip_prefix('/')?;
    let (service, method) = full.split_once('/')?;
    let valid = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_graphic() && b != b'/');
    (valid(service) && valid(method) && full.len() <= 256).then_some(full)
}

/// `server.address` and `server.port` of a gRPC target string
/// (`dns:///collector:4317`, `http://10.0.0.1:50051`, `grpc.io:443`), as the gRPC name
/// resolution rules read it; a target whose host cannot be found is the address as a
/// whole, without a port.
pub(crate) fn target_address(target: &str) -> (String, Option<u16>) {
    if target.starts_with("unix:") || target.starts_with("unix-abstract:") {
        return (target.to_owned(), None);
    }
    let rest = match target.split_once("://") {
        Some((_, rest)) => rest,
        None => target
            .strip_prefix("dns:")
            .or_else(|| target.strip_prefix("ipv4:"))
            .or_else(|| target.strip_prefix("ipv6:"))
            .unwrap_or(target),
    };
    // `dns://resolver/host:port`: the part after the authority.
    let rest = if target.starts_with("dns:") {
        rest.rsplit_once('/').map_or(rest, |(_, host)| host)
    } else {
        rest.split('/').next().unwrap_or(rest)
    };
    let (host, port) = split_host(rest);
    if host.is_empty() {
        (target.to_owned(), None)
    } else {
        (host.to_owned(), port)
    }
}

/// Splits an authority (`host:port`, `[::1]:50051`) into host and port.
pub(crate) fn split_host(authority: &str) -> (&str, Option<u16>) {
    let authority = authority
        .rsplit_once('@')
        .map_or(authority, |(_, host)| host);
    if let Some(rest) = authority.strip_prefix('[') {
        if let Some((host, after)) = rest.split_once(']') {
            return (host, after.strip_prefix(':').and_then(|p| p.parse().ok()));
        }
    }
    match authority.rsplit_once(':') {
        Some((host, port)) if !host.contains(':') => (host, port.parse().ok()),
        _ => (authority, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn methods() {
        assert_eq!(
            method_of("/helloworld.Greeter/SayHello"),
            Some("helloworld.Greeter/SayHello")
        );
        assert_eq!(method_of("/Echo/Echo"), Some("Echo/Echo"));
        for bad in ["", "/", "//", "/a/", "//b", "/a/b/c", "a/b", "/a b/c"] {
            assert_eq!(method_of(bad), None, "{bad:?}");
        }
        let long = format!("/{}/M", "s".repeat(300));
        assert_eq!(method_of(&long), None);
    }

    #[test]
    fn targets() {
        assert_eq!(
            target_address("grpc.io:50051"),
            ("grpc.io".to_owned(), Some(50051))
        );
        assert_eq!(
            target_address("http://127.0.0.1:4317"),
            ("127.0.0.1".to_owned(), Some(4317))
        );
        assert_eq!(
            target_address("dns://1.2.3.4/grpc.io:50051"),
            ("grpc.io".to_owned(), Some(50051))
        );
        assert_eq!(
            target_address("dns:///grpc.io:50051"),
            ("grpc.io".to_owned(), Some(50051))
        );
        assert_eq!(
            target_address("https://[::1]:443/"),
            ("::1".to_owned(), Some(443))
        );
        assert_eq!(
            target_address("unix:/run/app.sock"),
            ("unix:/run/app.sock".to_owned(), None)
        );
    }
}
