//! Which failed AWS calls must not be retried by the SDK: an endpoint that
//! does not implement the operation at all. The SDK's standard retry
//! strategy retries every HTTP 500 as a transient server fault; moto
//! answers an action it lacks (DescribeTableStatistics, for one) with
//! exactly that, so each refresh would cost three attempts and their
//! back-off before saying what was clear from the first answer.
//!
//! [`is_unimplemented`] is the one rule, used both by the retry classifier
//! (so the SDK stops after one attempt) and by the error translation (so
//! the message says plainly that the endpoint lacks the call, as
//! [`BackendError::Unsupported`](crate::backend::BackendError::Unsupported)).

use std::error::Error as StdError;
use std::marker::PhantomData;

use aws_sdk_databasemigration::config::interceptors::InterceptorContext;
use aws_sdk_databasemigration::config::retry::{ClassifyRetry, RetryAction};
use aws_sdk_dynamodb::error::ProvideErrorMetadata;

/// AWS error codes that mean "no such operation here".
pub const UNSUPPORTED_CODES: &[&str] = &[
    "UnknownOperationException",
    "UnsupportedOperation",
    "InvalidAction",
    "NotImplemented",
    "InvalidOperationFault",
];

/// Whether an error answer says the endpoint does not implement the call:
/// one of [`UNSUPPORTED_CODES`]; HTTP 501 (Not Implemented); or HTTP 500
/// carrying no AWS error code and an HTML page for a body, which is how
/// moto's server answers an action it has not implemented. Real AWS always
/// answers an API error in the protocol's own format with an error code,
/// so an HTML 500 is not a transient fault of an AWS service.
pub fn is_unimplemented(status: u16, code: Option<&str>, body: Option<&[u8]>) -> bool {
    let code = code.filter(|c| !c.is_empty());
    if code.is_some_and(|c| UNSUPPORTED_CODES.contains(&c)) {
        return true;
    }
    match status {
        501 => true,
        500 if code.is_none() => body.is_some_and(is_html),
        _ => false,
    }
}

fn is_html(body: &[u8]) -> bool {
    let start: Vec<u8> = body
        .iter()
        .skip_while(|b| b.is_ascii_whitespace())
        .take(14)
        .map(u8::to_ascii_lowercase)
        .collect();
    start.starts_with(b"<!doctype html") || start.starts_with(b"<html")
}

/// A retry classifier for operations whose error type is `E`: forbids a
/// retry when [`is_unimplemented`] says the endpoint lacks the call, and
/// has no opinion otherwise (throttling and real server faults are still
/// retried by the SDK's own classifiers).
#[derive(Debug)]
pub struct UnimplementedIsFinal<E>(PhantomData<fn() -> E>);

impl<E> UnimplementedIsFinal<E> {
    pub fn new() -> Self {
        UnimplementedIsFinal(PhantomData)
    }
}

impl<E> Default for UnimplementedIsFinal<E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<E> ClassifyRetry for UnimplementedIsFinal<E>
where
    E: ProvideErrorMetadata + StdError + Send + Sync + 'static,
{
    fn classify_retry(&self, ctx: &InterceptorContext) -> RetryAction {
        let Some(Err(err)) = ctx.output_or_error() else {
            return RetryAction::NoActionIndicated;
        };
        let Some(response) = ctx.response() else {
            return RetryAction::NoActionIndicated;
        };
        let code = err
            .as_operation_error()
            .and_then(|e| e.downcast_ref::<E>())
            .and_then(|e| e.code());
        if is_unimplemented(response.status().as_u16(), code, response.body().bytes()) {
            RetryAction::RetryForbidden
        } else {
            RetryAction::NoActionIndicated
        }
    }

    fn name(&self) -> &'static str {
        "dms-cockpit: an unimplemented operation is final"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_counts_as_not_implemented() {
        let moto = b"<!doctype html>\n<html lang=en>\n<title>500 Internal Server Error</title>";
        assert!(is_unimplemented(500, None, Some(moto)));
        assert!(is_unimplemented(500, Some(""), Some(b"  <HTML><body>x")));
        assert!(is_unimplemented(
            400,
            Some("UnknownOperationException"),
            None
        ));
        assert!(is_unimplemented(500, Some("NotImplemented"), Some(b"{}")));
        assert!(is_unimplemented(501, None, None));
        // A real AWS server fault carries a code (or no HTML page): retried.
        assert!(!is_unimplemented(
            500,
            Some("InternalFailure"),
            Some(b"{\"__type\":\"InternalFailure\"}")
        ));
        assert!(!is_unimplemented(500, None, Some(b"{\"message\":\"x\"}")));
        assert!(!is_unimplemented(500, None, None));
        assert!(!is_unimplemented(503, None, Some(moto)));
        assert!(!is_unimplemented(400, Some("ThrottlingException"), None));
    }
}
