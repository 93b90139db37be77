//! Why a backend call failed: the sentence written for a person, plus the
//! original error it came from (an SDK, sqlx, SQLite or Oracle error), kept
//! as the `source()` of [`super::BackendError`]. The screen shows only the
//! sentence; the log file shows the sentence and, under it, every cause
//! ([`chain`]), so a bug report carries the real error code and text.

use std::error::Error;
use std::fmt;
use std::ops::Deref;
use std::sync::Arc;

/// The error a [`Reason`] was built from. An `Arc` so [`super::BackendError`]
/// stays `Clone` (messages are copied into the app's state).
pub type Cause = Arc<dyn Error + Send + Sync + 'static>;

/// The text of a backend error and, where there was one, its cause.
#[derive(Clone)]
pub struct Reason {
    text: String,
    cause: Option<Cause>,
}

impl Reason {
    /// A reason with no cause below it (the cockpit found the problem
    /// itself, e.g. a malformed item).
    pub fn new(text: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            cause: None,
        }
    }

    /// A reason phrased from `cause`, which stays reachable through
    /// `source()`.
    pub fn caused<E>(text: impl Into<String>, cause: E) -> Self
    where
        E: Error + Send + Sync + 'static,
    {
        Self {
            text: text.into(),
            cause: Some(Arc::new(cause)),
        }
    }

    /// The same reason with `cause` below it (replacing any earlier one).
    pub fn with_cause(self, cause: Cause) -> Self {
        Self {
            text: self.text,
            cause: Some(cause),
        }
    }

    /// Other words for the same failure: the cause stays.
    pub fn reworded(self, text: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            cause: self.cause,
        }
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl fmt::Debug for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Reason");
        d.field("text", &self.text);
        if let Some(cause) = &self.cause {
            d.field("cause", cause);
        }
        d.finish()
    }
}

impl Error for Reason {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        self.cause.as_deref().map(|c| c as &(dyn Error + 'static))
    }
}

impl Deref for Reason {
    type Target = str;
    fn deref(&self) -> &str {
        &self.text
    }
}

impl AsRef<str> for Reason {
    fn as_ref(&self) -> &str {
        &self.text
    }
}

/// Two reasons are equal when they say the same thing: the cause is
/// diagnostic detail (and SDK errors are not comparable).
impl PartialEq for Reason {
    fn eq(&self, other: &Self) -> bool {
        self.text == other.text
    }
}

impl Eq for Reason {}

impl PartialEq<str> for Reason {
    fn eq(&self, other: &str) -> bool {
        self.text == other
    }
}

impl PartialEq<&str> for Reason {
    fn eq(&self, other: &&str) -> bool {
        self.text == *other
    }
}

impl From<String> for Reason {
    fn from(text: String) -> Self {
        Self::new(text)
    }
}

impl From<&str> for Reason {
    fn from(text: &str) -> Self {
        Self::new(text)
    }
}

impl From<Reason> for String {
    fn from(reason: Reason) -> Self {
        reason.text
    }
}

impl serde::Serialize for Reason {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.text)
    }
}

/// `e`'s message, then each of its causes on a line of its own
/// (`caused by: …`), for the log file. A cause that only repeats the line
/// above it (a [`Reason`] under the [`super::BackendError`] that shows it)
/// is left out.
pub fn chain(e: &dyn Error) -> String {
    let mut out = e.to_string();
    let mut last = out.clone();
    for cause in causes(e) {
        let text = cause.to_string();
        if text != last {
            out.push_str("\n  caused by: ");
            out.push_str(&text);
            last = text;
        }
    }
    out
}

/// Every error under `e`, nearest first (`source()`, then its `source()`,
/// …), e.g. to find the original driver error with `downcast_ref`.
pub fn causes(e: &dyn Error) -> impl Iterator<Item = &(dyn Error + 'static)> {
    std::iter::successors(e.source(), |&c| c.source())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("socket closed")]
    struct Root;

    #[derive(Debug, thiserror::Error)]
    #[error("query failed")]
    struct Mid(#[source] Root);

    #[test]
    fn equality_and_display_are_the_text_only() {
        let a = Reason::caused("gone", Root);
        let b = Reason::from("gone");
        assert_eq!(a, b);
        assert_eq!(a.to_string(), "gone");
        assert_eq!(&*a, "gone");
        assert!(a.source().is_some());
        assert!(b.source().is_none());
        assert!(format!("{a:?}").contains("Root"), "{a:?}");
    }

    #[test]
    fn chain_lists_every_cause_once_under_the_message() {
        let r = Reason::caused("the database did not answer", Mid(Root));
        assert_eq!(
            chain(&r),
            "the database did not answer\n  caused by: query failed\n  caused by: socket closed"
        );
        assert_eq!(chain(&Reason::from("plain")), "plain");
    }
}
