//! Typed ids and the domain's closed sets of words as text columns (feature `sqlx`, enabled by the
//! store alone). A value is bound as its text and decoded through its parser, so the store hands
//! the service typed values and a row that holds anything else fails loudly at the store's edge.

use crate::billing::{InvoiceStatus, Period, SubscriptionStatus};
use crate::domain_name::DomainStatus;
use crate::ids::*;
use crate::role::{OrgRole, TeamRole};
use crate::settings::PolicyKind;
use crate::sso::SsoPurpose;
use crate::team::LoginType;
use sqlx::any::{Any, AnyTypeInfo};
use sqlx::encode::IsNull;
use sqlx::error::BoxDynError;
use sqlx::{Database, Decode, Encode, Type};

macro_rules! text_column {
    ($($t:ty),+ $(,)?) => {$(
        impl Type<Any> for $t {
            fn type_info() -> AnyTypeInfo {
                <str as Type<Any>>::type_info()
            }
        }

        impl<'q> Encode<'q, Any> for $t {
            fn encode_by_ref(
                &self,
                buf: &mut <Any as Database>::ArgumentBuffer<'q>,
            ) -> Result<IsNull, BoxDynError> {
                <String as Encode<'q, Any>>::encode(self.as_str().to_owned(), buf)
            }
        }

        impl<'r> Decode<'r, Any> for $t {
            fn decode(value: <Any as Database>::ValueRef<'r>) -> Result<Self, BoxDynError> {
                let text = <String as Decode<'r, Any>>::decode(value)?;
                Ok(<$t>::try_from(text)?)
            }
        }
    )+};
}

text_column!(
    OrgId,
    TeamId,
    UserId,
    SubscriptionId,
    PolicyId,
    AuditId,
    InvoiceId,
    DeviceId,
    EnrollmentKeyId,
    ApiTokenId,
    RequestId,
    LoginType,
    TeamRole,
    OrgRole,
    Period,
    SubscriptionStatus,
    InvoiceStatus,
    PolicyKind,
    SsoPurpose,
    DomainStatus,
);
