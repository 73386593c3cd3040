//! Copies a request's URI and header values out of hyper's connection read buffer.
//!
//! hyper parses a request head without copying: the URI and every header value are slices of
//! the connection's read buffer (8 KiB or more). engineioxide keeps the upgrade request's parts
//! for the whole life of a WebSocket session, so that buffer stays allocated per idle socket.
//! Copying the few hundred bytes of the head lets it go once hyper hands the stream over.

use hyper::Request;
use hyper::header::{HeaderMap, HeaderValue};
use std::task::{Context, Poll};

/// Rebuilds the URI and header values of `req` in allocations of their own (same content).
pub fn compact_request<B>(req: Request<B>) -> Request<B> {
    let (mut parts, body) = req.into_parts();
    // A URI that was parsed once parses again; keep the original if it somehow does not.
    if let Ok(uri) = parts.uri.to_string().parse() {
        parts.uri = uri;
    }
    let mut headers = HeaderMap::with_capacity(parts.headers.len());
    for (name, value) in &parts.headers {
        // `from_bytes` copies; the bytes were a valid header value already.
        let Ok(mut copy) = HeaderValue::from_bytes(value.as_bytes()) else { return Request::from_parts(parts, body) };
        copy.set_sensitive(value.is_sensitive());
        headers.append(name.clone(), copy);
    }
    parts.headers = headers;
    Request::from_parts(parts, body)
}

/// A service that passes every request through [`compact_request`] before `S` sees it.
/// [`super::Runtime::serve`] uses it; wrap the app in it when serving with `axum::serve`.
#[derive(Debug, Clone)]
pub struct CompactRequest<S>(pub S);

impl<S, B> tower_service::Service<Request<B>> for CompactRequest<S>
where
    S: tower_service::Service<Request<B>>,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = S::Future;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.0.poll_ready(cx)
    }

    fn call(&mut self, req: Request<B>) -> Self::Future {
        self.0.call(compact_request(req))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hyper::Uri;
    use hyper::body::Bytes;

    fn inside(buf: &Bytes, bytes: &[u8]) -> bool {
        let range = buf.as_ptr_range();
        range.contains(&bytes.as_ptr())
    }

    /// A request shaped like hyper's: URI and values are slices of one shared buffer.
    fn shared_request(buf: &Bytes) -> Request<()> {
        let text = std::str::from_utf8(buf).unwrap();
        let (path, rest) = text.split_once(' ').unwrap();
        let uri = Uri::from_maybe_shared(buf.slice_ref(path.as_bytes())).unwrap();
        let value = HeaderValue::from_maybe_shared(buf.slice_ref(rest.as_bytes())).unwrap();
        let mut secret = HeaderValue::from_maybe_shared(buf.slice_ref(rest.as_bytes())).unwrap();
        secret.set_sensitive(true);
        let mut req = Request::builder().uri(uri).body(()).unwrap();
        req.headers_mut().append("sec-websocket-key", value.clone());
        req.headers_mut().append("x-multi", value);
        req.headers_mut().append("x-multi", HeaderValue::from_static("second"));
        req.headers_mut().append(hyper::header::AUTHORIZATION, secret);
        req
    }

    #[test]
    fn copies_uri_and_values_out_of_the_read_buffer() {
        let buf = Bytes::from(b"/socket.io/?EIO=4&transport=websocket dGhlIHNhbXBsZSBub25jZQ==".to_vec());
        let before = shared_request(&buf);
        assert!(inside(&buf, before.uri().path().as_bytes()), "the fixture must share the buffer");
        assert!(inside(&buf, before.headers()["sec-websocket-key"].as_bytes()));
        let after = compact_request(shared_request(&buf));
        assert_eq!(after.uri(), before.uri());
        assert_eq!(after.uri().query(), Some("EIO=4&transport=websocket"));
        assert!(!inside(&buf, after.uri().path().as_bytes()));
        assert!(!inside(&buf, after.uri().query().unwrap().as_bytes()));
        assert_eq!(after.headers(), before.headers());
        for value in after.headers().values() {
            assert!(!inside(&buf, value.as_bytes()), "a header value still points into the read buffer");
        }
        let all: Vec<_> = after.headers().get_all("x-multi").iter().collect();
        assert_eq!(all, ["dGhlIHNhbXBsZSBub25jZQ==", "second"]);
        assert!(after.headers()[hyper::header::AUTHORIZATION].is_sensitive());
        assert!(!after.headers()["sec-websocket-key"].is_sensitive());
    }

    #[test]
    fn the_service_hands_the_compacted_request_on() {
        use std::future::{Ready, ready};
        #[derive(Clone)]
        struct Echo;
        impl tower_service::Service<Request<()>> for Echo {
            type Response = Request<()>;
            type Error = std::convert::Infallible;
            type Future = Ready<Result<Request<()>, Self::Error>>;
            fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
                Poll::Ready(Ok(()))
            }
            fn call(&mut self, req: Request<()>) -> Self::Future {
                ready(Ok(req))
            }
        }
        let buf = Bytes::from(b"/a?b=c xyz".to_vec());
        let mut svc = CompactRequest(Echo);
        let seen = futures_util::FutureExt::now_or_never(tower_service::Service::call(&mut svc, shared_request(&buf))).unwrap().unwrap();
        assert_eq!(seen.uri(), "/a?b=c");
        assert!(!inside(&buf, seen.uri().path().as_bytes()));
        assert!(!inside(&buf, seen.headers()["x-multi"].as_bytes()));
    }
}
