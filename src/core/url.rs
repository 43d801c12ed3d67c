//! Request urls: a relative url is appended to `baseUrl` as a string ('/api' + '/tasks');
//! an absolute one (with a scheme, or protocol-relative `//host`) is used as is.

pub fn resolve(base: &str, url: &str) -> String {
    if is_absolute(url) {
        url.to_owned()
    } else {
        let mut out = String::with_capacity(base.len() + url.len());
        out.push_str(base);
        out.push_str(url);
        out
    }
}

fn is_absolute(url: &str) -> bool {
    if url.starts_with("//") {
        return true;
    }
    // scheme ":" per RFC 3986: a letter, then letters, digits, '+', '-', '.'.
    match url.split_once(':') {
        Some((scheme, _)) => {
            let mut chars = scheme.chars();
            chars.next().is_some_and(|c| c.is_ascii_alphabetic())
                && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
        }
        None => false,
    }
}
