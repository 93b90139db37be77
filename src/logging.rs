//! Logs go to a file through tracing-appender, never to the screen the TUI
//! draws on. `RUST_LOG` picks the level (default `info`).
//!
//! The file is capped by size, not rolled by time: a cockpit left running
//! for weeks (or a chatty `RUST_LOG=debug`) must not fill the disk, and the
//! file keeps the name it was given (`--log-file`, which scripts and the
//! tests read), where tracing-appender's time-based rolling would add a date
//! to it. When the file would pass [`MAX_BYTES`] it is renamed to `NAME.1`
//! (`.1` to `.2`, …, the oldest beyond [`KEEP`] removed) and a new one
//! started, so the logs never take more than `(KEEP + 1) * MAX_BYTES`.

use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::EnvFilter;

/// The default log file: in the user's state (or cache) directory.
pub fn default_path() -> PathBuf {
    dirs::state_dir()
        .or_else(dirs::cache_dir)
        .unwrap_or_else(std::env::temp_dir)
        .join("dms-cockpit")
        .join("dms-cockpit.log")
}

/// Starts logging to `path`; keep the guard alive until exit so the last
/// lines are flushed.
pub fn init(path: &Path) -> Result<WorkerGuard, String> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|e| {
        format!(
            "cannot create the log directory {}: {e}; choose another with --log-file",
            dir.display()
        )
    })?;
    let file = CappedFile::open(path, MAX_BYTES, KEEP).map_err(|e| {
        format!(
            "cannot open the log file {}: {e}; choose another with --log-file",
            path.display()
        )
    })?;
    let (writer, guard) = tracing_appender::non_blocking(file);
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    // A second init (tests) keeps the first subscriber; that is fine.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer)
        .with_ansi(false)
        .try_init();
    Ok(guard)
}

/// The largest a log file grows before it is rotated.
pub const MAX_BYTES: u64 = 10 * 1024 * 1024;
/// How many rotated files (`NAME.1` … `NAME.KEEP`) are kept.
pub const KEEP: usize = 2;

/// A log file that rotates itself by size (see the module doc). Writes
/// arrive one whole event at a time (tracing-appender's worker), so a
/// rotation never splits a line.
pub struct CappedFile {
    path: PathBuf,
    file: File,
    size: u64,
    max: u64,
    keep: usize,
}

impl CappedFile {
    /// Opens `path` for appending; a file already past `max` (from an
    /// earlier run) is rotated first.
    pub fn open(path: &Path, max: u64, keep: usize) -> io::Result<CappedFile> {
        let file = append(path)?;
        let size = file.metadata()?.len();
        let mut capped = CappedFile {
            path: path.to_path_buf(),
            file,
            size,
            max,
            keep,
        };
        if size >= max {
            capped.rotate()?;
        }
        Ok(capped)
    }

    fn rotated(&self, n: usize) -> PathBuf {
        let mut name = self.path.as_os_str().to_owned();
        name.push(format!(".{n}"));
        PathBuf::from(name)
    }

    fn rotate(&mut self) -> io::Result<()> {
        self.file.flush()?;
        if self.keep == 0 {
            self.file = std::fs::OpenOptions::new()
                .write(true)
                .truncate(true)
                .open(&self.path)?;
        } else {
            let _ = std::fs::remove_file(self.rotated(self.keep));
            for n in (1..self.keep).rev() {
                let from = self.rotated(n);
                if from.exists() {
                    std::fs::rename(&from, self.rotated(n + 1))?;
                }
            }
            std::fs::rename(&self.path, self.rotated(1))?;
            self.file = append(&self.path)?;
        }
        self.size = 0;
        Ok(())
    }
}

fn append(path: &Path) -> io::Result<File> {
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
}

impl Write for CappedFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.size > 0 && self.size + buf.len() as u64 > self.max {
            self.rotate()?;
        }
        let n = self.file.write(buf)?;
        self.size += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_log_rotates_by_size_and_keeps_a_bounded_number_of_files() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cockpit.log");
        let mut log = CappedFile::open(&path, 100, 2).unwrap();
        // One write per event, as tracing-appender's worker writes them.
        for i in 0..50 {
            let line = format!("line {i:02} of the event log, 32 b\n");
            log.write_all(line.as_bytes()).unwrap();
        }
        log.flush().unwrap();
        let size = |p: &Path| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0);
        let names: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names.len(), 3, "the file and two rotated ones: {names:?}");
        for p in [path.clone(), log.rotated(1), log.rotated(2)] {
            assert!(size(&p) <= 100, "{} is {} bytes", p.display(), size(&p));
        }
        // The newest line is in the file itself, whole lines everywhere,
        // older ones in .1.
        let current = std::fs::read_to_string(&path).unwrap();
        assert!(
            current.ends_with("line 49 of the event log, 32 b\n"),
            "{current}"
        );
        let older = std::fs::read_to_string(log.rotated(1)).unwrap();
        assert!(older.lines().all(|l| l.starts_with("line ")), "{older}");
        assert!(!older.contains("line 49"), "{older}");

        // A file left over-size by an earlier run is rotated at start.
        drop(log);
        std::fs::write(&path, vec![b'x'; 150]).unwrap();
        let log = CappedFile::open(&path, 100, 2).unwrap();
        assert_eq!(size(&path), 0);
        assert_eq!(size(&log.rotated(1)), 150);
    }
}
