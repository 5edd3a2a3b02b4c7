//! §1: spectators and contacts are known by an email address, validated and normalised; each
//! EmailError variant has its test (`err_...`): the exact error, and a message that names the
//! address as given.

use secure_ticket::{Email, EmailError};

#[test]
fn err_email_empty() {
    assert_eq!(Email::parse(" \t "), Err(EmailError::Empty));
}

#[test]
fn err_email_too_long() {
    let input = format!("{}@example.com", "a".repeat(250));
    let error = Email::parse(&input).unwrap_err();
    assert_eq!(
        error,
        EmailError::TooLong {
            input: input.clone(),
            len: 262
        }
    );
    assert!(error.to_string().contains(&input));
}

#[test]
fn err_email_not_one_at() {
    for input in ["alice.example.com", "alice@bob@example.com"] {
        let error = Email::parse(input).unwrap_err();
        assert_eq!(
            error,
            EmailError::NotOneAt {
                input: input.to_owned()
            }
        );
        assert!(error.to_string().contains(input));
    }
}

#[test]
fn err_email_invalid_local_part() {
    let too_long = format!("{}@example.com", "a".repeat(65));
    for input in ["@example.com", too_long.as_str()] {
        let error = Email::parse(input).unwrap_err();
        assert_eq!(
            error,
            EmailError::InvalidLocalPart {
                input: input.to_owned()
            }
        );
        assert!(error.to_string().contains(input));
    }
}

#[test]
fn err_email_invalid_domain() {
    for input in [
        "alice@localhost",
        "alice@.example.com",
        "alice@example..com",
        "alice@",
    ] {
        let error = Email::parse(input).unwrap_err();
        assert_eq!(
            error,
            EmailError::InvalidDomain {
                input: input.to_owned()
            }
        );
        assert!(error.to_string().contains(input));
    }
}

#[test]
fn err_email_invalid_character() {
    let error = Email::parse(" alice smith@example.com ").unwrap_err();
    assert_eq!(
        error,
        EmailError::InvalidCharacter {
            input: "alice smith@example.com".to_owned(),
            character: ' '
        }
    );
    assert!(error.to_string().contains("alice smith@example.com"));
}

#[test]
fn x9_invisible_format_characters_are_refused() {
    for invisible in [
        '\u{200B}',  // zero-width space
        '\u{200D}',  // zero-width joiner
        '\u{202E}',  // right-to-left override
        '\u{2066}',  // left-to-right isolate
        '\u{FEFF}',  // byte order mark
        '\u{00AD}',  // soft hyphen
        '\u{FE0F}',  // variation selector
        '\u{E0041}', // tag latin capital letter A
    ] {
        let input = format!("ali{invisible}ce@example.com");
        assert_eq!(
            Email::parse(&input),
            Err(EmailError::InvalidCharacter {
                input: input.clone(),
                character: invisible
            }),
            "{invisible:?}"
        );
    }
    // Visible non-ASCII letters stay allowed.
    assert_eq!(
        Email::parse("Zoë@Exämple.com").unwrap().as_str(),
        "zoë@exämple.com"
    );
}

#[test]
fn x9_a_huge_input_is_refused_before_any_other_work_with_a_small_error() {
    let huge = format!("{}@example.com", "A".repeat(100_000_000));
    let error = Email::parse(&huge).unwrap_err();
    let EmailError::TooLong { input, len } = &error else {
        panic!("expected TooLong, got a {} error", error.code());
    };
    assert_eq!(*len, huge.len());
    assert!(
        input.len() <= 1024 + '…'.len_utf8(),
        "{} bytes kept",
        input.len()
    );
    assert!(input.ends_with('…') && input.starts_with("AAAA"));
    assert!(error.to_string().len() < 1200);
}
