//! The rendered text, in a buffer that refuses to grow past a limit.

use std::io;

/// The rendered text, refused past a size.
pub struct CappedOutput {
    pub text: Vec<u8>,
    limit: usize,
    pub overflowed: bool,
}

impl CappedOutput {
    pub fn new(limit: usize) -> Self {
        CappedOutput {
            text: Vec::new(),
            limit,
            overflowed: false,
        }
    }
}

impl io::Write for CappedOutput {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.text.len().saturating_add(buf.len()) > self.limit {
            self.overflowed = true;
            return Err(io::Error::other("the rendered chat is too large"));
        }
        self.text.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_output_refuses_what_passes_its_limit() {
        use std::io::Write;
        let mut out = CappedOutput::new(5);
        assert!(out.write_all(b"abc").is_ok());
        assert!(out.write_all(b"def").is_err());
        assert!(out.overflowed);
        assert_eq!(out.text, b"abc");
    }
}
