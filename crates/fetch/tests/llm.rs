//! The machine-summary client against a real OpenAI-compatible server on 127.0.0.1: what it sends, what it takes
//! from the answer, and the error it gives for each way an endpoint fails. No mocked client.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Json;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::{Value, json};
use tidings_core::config::LlmConfig;
use tidings_fetch::llm::{LlmError, SYSTEM_PROMPT, SummaryClient};

/// The last request the server received: its headers and body.
type Seen = Arc<Mutex<Option<(HeaderMap, Value)>>>;

fn completion(content: Value) -> Response {
    Json(json!({
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}]
    }))
    .into_response()
}

async fn start() -> (String, Seen) {
    let seen: Seen = Arc::default();
    let record = seen.clone();
    let app = axum::Router::new()
        .route(
            "/ok/v1/chat/completions",
            post(move |headers: HeaderMap, Json(body): Json<Value>| {
                let record = record.clone();
                async move {
                    *record.lock().unwrap() = Some((headers, body));
                    completion(json!("```\nSummary: The council approved the tram.\n```"))
                }
            }),
        )
        .route(
            "/fail/v1/chat/completions",
            post(|| async {
                (StatusCode::INTERNAL_SERVER_ERROR, Json(json!({"error": {"message": "model crashed"}})))
                    .into_response()
            }),
        )
        .route("/garbage/v1/chat/completions", post(|| async { "I am not JSON" }))
        .route("/null/v1/chat/completions", post(|| async { completion(Value::Null) }))
        .route(
            "/slow/v1/chat/completions",
            post(|| async {
                tokio::time::sleep(Duration::from_secs(5)).await;
                completion(json!("Too late."))
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let origin = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (origin, seen)
}

fn client(endpoint: String, api_key: &str) -> SummaryClient {
    SummaryClient::new(&LlmConfig {
        enabled: true,
        endpoint,
        model: "test-model".into(),
        api_key: api_key.into(),
        timeout_secs: 1,
        max_tokens: 200,
        ..LlmConfig::default()
    })
    .unwrap()
}

#[tokio::test]
async fn a_summary_is_asked_for_as_a_chat_completion_and_cleaned() {
    let (origin, seen) = start().await;
    let client = client(format!("{origin}/ok/v1"), "sk-test-key");
    let prompt = client.prompt("Tram vote", "The council voted 7 to 2 for the tram.");
    assert_eq!(client.summarize(&prompt).await.unwrap(), "The council approved the tram.");

    let (headers, body) = seen.lock().unwrap().take().unwrap();
    assert_eq!(headers["authorization"], "Bearer sk-test-key");
    assert_eq!(headers["content-type"], "application/json");
    assert_eq!(body["model"], "test-model");
    assert_eq!(body["temperature"], 0);
    assert_eq!(body["max_tokens"], 200);
    assert_eq!(body["messages"][0], json!({"role": "system", "content": SYSTEM_PROMPT}));
    assert_eq!(body["messages"][1]["role"], "user");
    assert_eq!(body["messages"][1]["content"], prompt);

    // Without a key, no Authorization header at all.
    let client = self::client(format!("{origin}/ok/v1"), "");
    client.summarize("Title: x\n\nArticle:\ny").await.unwrap();
    assert!(!seen.lock().unwrap().take().unwrap().0.contains_key("authorization"));
}

/// Whether an error is the expected variant.
type IsKind = fn(&LlmError) -> bool;

#[tokio::test]
async fn each_failure_names_the_endpoint_and_the_problem() {
    let (origin, _) = start().await;
    let cases: [(&str, IsKind, &str); 4] = [
        ("fail", |e| matches!(e, LlmError::Status { status: 500, .. }), "answered HTTP 500: model crashed"),
        ("garbage", |e| matches!(e, LlmError::Malformed { .. }), "not a chat completion"),
        ("null", |e| matches!(e, LlmError::Empty { .. }), "answered with no summary"),
        ("slow", |e| matches!(e, LlmError::Timeout { .. }), "no answer within 1 s (llm.timeout_secs)"),
    ];
    for (path, kind, words) in cases {
        let endpoint = format!("{origin}/{path}/v1");
        let err = client(endpoint.clone(), "").summarize("Title: x\n\nArticle:\ny").await.unwrap_err();
        assert!(kind(&err), "{path}: {err:?}");
        let text = err.to_string();
        assert!(text.starts_with(&format!("{endpoint}/chat/completions: ")) && text.contains(words), "{text}");
    }

    // Nothing listening.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let closed = format!("http://{}/v1", listener.local_addr().unwrap());
    drop(listener);
    let err = client(closed, "").summarize("x").await.unwrap_err();
    assert!(matches!(err, LlmError::Connect { .. }), "{err:?}");
    assert!(err.to_string().contains("could not connect"), "{err}");
}
