//! One module per page, named after its path.

pub mod dashboard;
pub mod forgot_password;
pub mod not_found;
pub mod reset_password;
pub mod sign_in;
pub mod sign_up;
