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
