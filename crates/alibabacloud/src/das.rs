//! Database Autonomy Service (API version 2020-01-16), generated from `specs/alibabacloud/das.json`:
//! [`DasClient`], one request builder and one input type per action, [`meta`] and the reply [`types`].

pub use crate::generated::das::*;
