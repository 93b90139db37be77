//! Copy to the clipboard through the terminal: OSC 52 (`ESC ] 52 ; c ;
//! <base64> BEL`), which terminals honour over SSH and which tmux passes
//! on (or keeps as a paste buffer) with `set-clipboard on`. No clipboard
//! library, no X or Wayland connection: the cockpit may run on a jump
//! host far from the operator's desktop.

use std::io::Write;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

/// The exact bytes that put `text` on the clipboard (`c`: the clipboard
/// selection), terminated with BEL, which every OSC 52 reader accepts.
pub fn osc52(text: &str) -> Vec<u8> {
    format!("\x1b]52;c;{}\x07", STANDARD.encode(text.as_bytes())).into_bytes()
}

/// Writes [`osc52`] for `text` to the terminal. A failed write is logged:
/// the event log has already said what was meant to be copied.
pub fn copy(text: &str) {
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_all(&osc52(text)).and_then(|_| out.flush()) {
        tracing::warn!("could not write the OSC 52 copy sequence: {e}");
    }
}

#[cfg(test)]
mod tests {
    use super::osc52;

    #[test]
    fn the_sequence_is_osc_52_clipboard_base64_bel() {
        assert_eq!(osc52("hello"), b"\x1b]52;c;aGVsbG8=\x07".to_vec());
        // UTF-8 goes through as bytes.
        assert_eq!(osc52("✖ a"), b"\x1b]52;c;4pyWIGE=\x07".to_vec());
        assert_eq!(osc52(""), b"\x1b]52;c;\x07".to_vec());
    }
}
