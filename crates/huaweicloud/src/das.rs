//! Data Admin Service (MySQL), generated from `specs/huaweicloud/das.json`: [`DasClient`], one request
//! builder and one input type per operation, [`meta`] and the reply [`types`].

pub use crate::generated::das::*;
