//! Small predicates for `skip_serializing_if`: stored records omit what the reader defaults anyway.

#[allow(
    clippy::trivially_copy_pass_by_ref,
    reason = "serde passes fields by reference"
)]
pub(crate) const fn is_false(value: &bool) -> bool {
    !*value
}

#[allow(
    clippy::trivially_copy_pass_by_ref,
    reason = "serde passes fields by reference"
)]
pub(crate) const fn is_true(value: &bool) -> bool {
    *value
}

pub(crate) fn is_zero<T: Copy + Into<u64>>(value: &T) -> bool {
    matches!((*value).into(), 0)
}
