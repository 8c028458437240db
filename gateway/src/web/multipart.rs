//! Reading a `multipart/form-data` body, as a browser posts a form with a file input.
//! The console's statement upload is the only such form and its size is bounded before
//! it is read, so the body is whole in memory and its parts are sliced out of it rather
//! than streamed (which is all a crate for it would add).

/// One field of the form.
#[derive(Debug, PartialEq, Eq)]
pub struct Part<'a> {
    pub name: String,
    /// The file's name as the browser gave it, for a file input.
    pub file_name: Option<String>,
    pub body: &'a [u8],
}

/// Why a body is not a form.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum MultipartError {
    #[error("the body is not multipart/form-data with a boundary")]
    NotMultipart,
    #[error("the form's body is malformed: {0}")]
    Malformed(&'static str),
}

/// The boundary a `Content-Type: multipart/form-data; boundary=...` names.
pub fn boundary(content_type: &str) -> Result<String, MultipartError> {
    let mut params = content_type.split(';');
    let essence = params.next().unwrap_or_default().trim();
    if !essence.eq_ignore_ascii_case("multipart/form-data") {
        return Err(MultipartError::NotMultipart);
    }
    params
        .filter_map(|p| p.split_once('='))
        .find(|(k, _)| k.trim().eq_ignore_ascii_case("boundary"))
        .map(|(_, v)| v.trim().trim_matches('"').to_string())
        // RFC 2046: 1 to 70 characters.
        .filter(|b| !b.is_empty() && b.len() <= 70)
        .ok_or(MultipartError::NotMultipart)
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() || haystack.len() < needle.len() {
        return None;
    }
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// The `name="value"` parameters of a header value, quotes honoured (a browser puts a
/// file's name in quotes, and it may hold `;`).
fn parameters(value: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = value;
    while let Some(semicolon) = rest.find(';') {
        rest = rest[semicolon + 1..].trim_start();
        let Some(eq) = rest.find('=') else { break };
        let key = rest[..eq].trim().to_ascii_lowercase();
        let after = &rest[eq + 1..];
        let (text, remaining) = match after.strip_prefix('"') {
            Some(quoted) => match quoted.find('"') {
                Some(end) => (&quoted[..end], &quoted[end + 1..]),
                None => (quoted, ""),
            },
            None => match after.find(';') {
                Some(end) => (after[..end].trim(), &after[end..]),
                None => (after.trim(), ""),
            },
        };
        out.push((key, text.to_string()));
        rest = remaining;
    }
    out
}

fn part<'a>(raw: &'a [u8]) -> Result<Part<'a>, MultipartError> {
    let end = find(raw, b"\r\n\r\n").ok_or(MultipartError::Malformed("a part has no headers"))?;
    let headers = std::str::from_utf8(&raw[..end])
        .map_err(|_| MultipartError::Malformed("a part's headers are not text"))?;
    let disposition = headers
        .split("\r\n")
        .filter_map(|line| line.split_once(':'))
        .find(|(name, _)| name.trim().eq_ignore_ascii_case("content-disposition"))
        .map(|(_, value)| value.trim())
        .ok_or(MultipartError::Malformed(
            "a part has no Content-Disposition",
        ))?;
    let params = parameters(disposition);
    let get = |key: &str| {
        params
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
    };
    Ok(Part {
        name: get("name").ok_or(MultipartError::Malformed("a part has no name"))?,
        file_name: get("filename"),
        body: &raw[end + 4..],
    })
}

/// The parts of `body`, in order.
pub fn parts<'a>(body: &'a [u8], boundary: &str) -> Result<Vec<Part<'a>>, MultipartError> {
    let delimiter = format!("--{boundary}");
    let delimiter = delimiter.as_bytes();
    // Every delimiter but the first follows a line break that belongs to it.
    let separator = [b"\r\n".as_slice(), delimiter].concat();
    let first = find(body, delimiter).ok_or(MultipartError::Malformed("no boundary"))?;
    let mut rest = &body[first + delimiter.len()..];
    let mut out = Vec::new();
    loop {
        if rest.starts_with(b"--") {
            return Ok(out);
        }
        rest = rest.strip_prefix(b"\r\n").ok_or(MultipartError::Malformed(
            "a boundary is not followed by a line",
        ))?;
        let end = find(rest, &separator).ok_or(MultipartError::Malformed("no closing boundary"))?;
        out.push(part(&rest[..end])?);
        rest = &rest[end + separator.len()..];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What Chromium posts for a form with two text fields and a file.
    fn chromium_body() -> Vec<u8> {
        let mut body = Vec::new();
        for chunk in [
            "------WebKitFormBoundaryAbC123\r\n",
            "Content-Disposition: form-data; name=\"csrf\"\r\n\r\n",
            "0123abcd\r\n",
            "------WebKitFormBoundaryAbC123\r\n",
            "Content-Disposition: form-data; name=\"source\"\r\n\r\n",
            "napas\r\n",
            "------WebKitFormBoundaryAbC123\r\n",
            "Content-Disposition: form-data; name=\"file\"; filename=\"NAPAS;2026-12-08.txt\"\r\n",
            "Content-Type: text/plain\r\n\r\n",
            "HDR 20261208\r\n--not the boundary\r\nTRL 1\r\n",
            "\r\n------WebKitFormBoundaryAbC123--\r\n",
        ] {
            body.extend_from_slice(chunk.as_bytes());
        }
        body
    }

    #[test]
    fn fields_and_a_file_are_read_as_sent() {
        let b = boundary("multipart/form-data; boundary=----WebKitFormBoundaryAbC123").unwrap();
        let body = chromium_body();
        let parts = parts(&body, &b).unwrap();
        assert_eq!(parts.len(), 3);
        assert_eq!(
            (parts[0].name.as_str(), parts[0].body),
            ("csrf", &b"0123abcd"[..])
        );
        assert_eq!(parts[1].file_name, None);
        assert_eq!(parts[2].name, "file");
        assert_eq!(parts[2].file_name.as_deref(), Some("NAPAS;2026-12-08.txt"));
        // The file's own line breaks, and a line that only looks like a boundary, are
        // the file's; the line break before the closing boundary is the form's.
        assert_eq!(
            parts[2].body,
            b"HDR 20261208\r\n--not the boundary\r\nTRL 1\r\n"
        );
    }

    #[test]
    fn what_is_not_a_form_is_refused() {
        assert_eq!(
            boundary("application/x-www-form-urlencoded"),
            Err(MultipartError::NotMultipart)
        );
        assert_eq!(
            boundary("multipart/form-data"),
            Err(MultipartError::NotMultipart)
        );
        assert_eq!(
            boundary("Multipart/Form-Data; boundary=\"x y\"").unwrap(),
            "x y"
        );
        let body = chromium_body();
        let cut = &body[..body.len() - 30];
        assert!(parts(cut, "----WebKitFormBoundaryAbC123").is_err());
        assert!(parts(b"no boundary here", "b").is_err());
        let nameless = b"--b\r\nContent-Disposition: form-data\r\n\r\nx\r\n--b--\r\n";
        assert!(parts(nameless, "b").is_err());
        assert_eq!(parts(b"--b--\r\n", "b").unwrap(), Vec::new());
    }
}
