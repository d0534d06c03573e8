//! Request bodies of the JSON API: an object of the documented shape, nothing else.
//!
//! axum's `Json<T>` hands the body to serde, whose derived `Deserialize` for a struct also accepts a JSON array of
//! the fields in order (`[]` reads as a struct whose fields all have defaults, `["text"]` as `{"body": "text"}`).
//! The API documents objects, so anything else is refused here, for every endpoint at once.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;

/// A JSON request body that must be an object deserialising to `T`.
pub(crate) struct JsonObject<T>(pub(crate) T);

/// Why a body was refused.
#[derive(Debug)]
pub(crate) enum BodyRejection {
    /// Not JSON, the wrong content type, or too large (axum's own reasons).
    Json(JsonRejection),
    /// JSON, but an array, string, number, boolean or null.
    NotObject(&'static str),
    /// An object, but not of the documented shape.
    Shape(serde_json::Error),
}

impl std::fmt::Display for BodyRejection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BodyRejection::Json(rejection) => write!(f, "{}", rejection.body_text()),
            BodyRejection::NotObject(kind) => write!(f, "expected a JSON object, got {kind}"),
            BodyRejection::Shape(e) => write!(f, "{e}"),
        }
    }
}

/// Only met when a handler takes [`JsonObject`] without a `Result`: the API's handlers take the rejection and answer
/// in the API's error format.
impl IntoResponse for BodyRejection {
    fn into_response(self) -> Response {
        (StatusCode::BAD_REQUEST, self.to_string()).into_response()
    }
}

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for JsonObject<T> {
    type Rejection = BodyRejection;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let Json(value) = Json::<serde_json::Value>::from_request(request, state).await.map_err(BodyRejection::Json)?;
        let kind = match &value {
            serde_json::Value::Object(_) => None,
            serde_json::Value::Array(_) => Some("an array"),
            serde_json::Value::String(_) => Some("a string"),
            serde_json::Value::Number(_) => Some("a number"),
            serde_json::Value::Bool(_) => Some("a boolean"),
            serde_json::Value::Null => Some("null"),
        };
        if let Some(kind) = kind {
            return Err(BodyRejection::NotObject(kind));
        }
        serde_json::from_value(value).map(JsonObject).map_err(BodyRejection::Shape)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::http::header;
    use serde::Deserialize;

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct Report {
        #[serde(default)]
        reason: String,
    }

    async fn read(body: &str) -> Result<Report, String> {
        let request = Request::post("/")
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body.to_owned()))
            .unwrap_or_default();
        JsonObject::<Report>::from_request(request, &()).await.map(|JsonObject(r)| r).map_err(|e| e.to_string())
    }

    /// Regression: `POST /api/v1/comments/{id}/reports` with the body `[]` was accepted (202), found by schemathesis.
    #[tokio::test]
    async fn an_array_is_not_an_object_of_the_documented_shape() {
        assert_eq!(read("[]").await, Err("expected a JSON object, got an array".to_owned()));
        assert_eq!(read("[\"spam\"]").await, Err("expected a JSON object, got an array".to_owned()));
        assert_eq!(read("null").await, Err("expected a JSON object, got null".to_owned()));
        assert_eq!(read("{}").await, Ok(Report { reason: String::new() }));
        assert_eq!(read("{\"reason\": \"spam\"}").await, Ok(Report { reason: "spam".to_owned() }));
        assert!(read("{\"why\": 1}").await.is_err_and(|e| e.contains("unknown field")));
        assert!(read("{").await.is_err());
    }
}
