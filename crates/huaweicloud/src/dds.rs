//! Document Database Service (MongoDB), generated from `specs/huaweicloud/dds.json`: [`DdsClient`], one
//! request builder and one input type per operation, [`meta`] and the reply [`types`].

pub use crate::generated::dds::*;
