//! FAPI 1.0 Part 1 §6.2.1-11: `fapi::layer::InteractionIdLayer` in front
//! of an axum router gives every response, success or refusal, an
//! `x-fapi-interaction-id`: the client's UUID echoed, a fresh one when it
//! sent none; a value that is not a UUID is refused by the layer.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use axum::Router;
use axum::body::Body;
use axum::routing::get;
use fapi::layer::InteractionIdLayer;
use fapi_core::interaction::InteractionId;
use http::{Request, StatusCode};
use http_body_util::BodyExt;
use tower::ServiceExt;

const HEADER: &str = "x-fapi-interaction-id";

fn app() -> Router {
    Router::new()
        .route("/accounts", get(|| async { "[]" }))
        .route(
            "/forbidden",
            get(|| async { (StatusCode::UNAUTHORIZED, "no token") }),
        )
        .layer(InteractionIdLayer::new())
}

async fn call(path: &str, ids: &[&str]) -> (StatusCode, Option<String>, String) {
    let mut b = Request::get(path);
    for id in ids {
        b = b.header(HEADER, *id);
    }
    let r = app().oneshot(b.body(Body::empty()).unwrap()).await.unwrap();
    let status = r.status();
    let id = r
        .headers()
        .get(HEADER)
        .map(|v| v.to_str().unwrap().to_owned());
    let body = r.into_body().collect().await.unwrap().to_bytes();
    (status, id, String::from_utf8(body.to_vec()).unwrap())
}

/// FAPI 1.0 Part 1 §6.2.1-11: echoed as sent on a success, a refusal by
/// the route and an unknown path; a fresh UUID, different each time,
/// when none was sent.
#[tokio::test]
async fn fapi1_6_2_1_11_echoed_or_created_on_every_response() {
    let sent = "C1B2D3E4-0000-4000-8000-00000000002A";
    for (path, status) in [
        ("/accounts", StatusCode::OK),
        ("/forbidden", StatusCode::UNAUTHORIZED),
        ("/nowhere", StatusCode::NOT_FOUND),
    ] {
        let (s, id, _) = call(path, &[sent]).await;
        assert_eq!((s, id.as_deref()), (status, Some(sent)), "{path}");
        let (s, a, _) = call(path, &[]).await;
        let (_, b, _) = call(path, &[]).await;
        assert_eq!(s, status);
        let (a, b) = (a.unwrap(), b.unwrap());
        assert!(InteractionId::parse(a.as_bytes()).is_ok(), "{a}");
        assert_ne!(a, b);
    }
}

/// A value that is not an RFC 4122 UUID, or the header twice: 400
/// `invalid_request` from the layer, quoting what was sent, with a fresh
/// UUID and never the value.
#[tokio::test]
async fn fapi1_6_2_1_11_non_uuid_refused_400_with_a_fresh_id() {
    let (s, id, body) = call("/accounts", &["not-a-uuid"]).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let id = id.unwrap();
    assert_ne!(id, "not-a-uuid");
    assert!(InteractionId::parse(id.as_bytes()).is_ok(), "{id}");
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["error"], "invalid_request");
    let d = v["error_description"].as_str().unwrap();
    assert!(d.contains("810") && d.contains("\"not-a-uuid\""), "{d}");
    let u = "c1b2d3e4-0000-4000-8000-00000000002a";
    let (s, id, body) = call("/accounts", &[u, u]).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_ne!(id.as_deref(), Some(u));
    assert!(body.contains("given 2 times"), "{body}");
}
