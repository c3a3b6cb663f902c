//! Deribit's error codes, each named once, mapped to an [`ErrorKind`] and to a sentence a
//! trader can act on. Codes and names from the full "RPC Error Codes" table of
//! docs.deribit.com/articles/errors (not its "Common Error Codes" summary, which gives other
//! numbers for the same names: 10001 invalid_credentials, 10002 insufficient_funds, 11000
//! order_not_found; the full table, the API reference and third-party clients agree on 13004,
//! 10009 and 10004).
//!
//! A refused JSON-RPC call answers `{"jsonrpc":"2.0","id":…,"error":{"code":…,"message":…,
//! "data":…}}` (over HTTP with status 400). `data` may carry `reason` and `param` for
//! invalid-parameter refusals.

use rampart_core::Venue as VenueId;

use crate::venue::{Error, ErrorKind, RefusalCause};

/// "Authorization issue, invalid or absent signature etc."
pub const AUTHORIZATION_REQUIRED: i64 = 10000;
pub const GENERAL_ERROR: i64 = 10001;
pub const QTY_TOO_LOW: i64 = 10002;
pub const ORDER_OVERLAP: i64 = 10003;
/// "Attempt to operate with order that can't be found by specified id or label."
pub const ORDER_NOT_FOUND: i64 = 10004;
pub const PRICE_TOO_LOW: i64 = 10005;
pub const PRICE_TOO_LOW_FOR_INDEX: i64 = 10006;
pub const PRICE_TOO_HIGH: i64 = 10007;
pub const NOT_ENOUGH_FUNDS: i64 = 10009;
pub const ALREADY_CLOSED: i64 = 10010;
pub const PRICE_NOT_ALLOWED: i64 = 10011;
pub const BOOK_CLOSED: i64 = 10012;
pub const LOCKED_BY_ADMIN: i64 = 10019;
pub const INVALID_INSTRUMENT: i64 = 10020;
pub const INVALID_AMOUNT: i64 = 10021;
pub const INVALID_PRICE: i64 = 10023;
pub const PRICE_PRECISION_EXCEEDED: i64 = 10026;
pub const NON_INTEGER_CONTRACT_AMOUNT: i64 = 10027;
/// "Allowed request rate has been exceeded"; Deribit also ends the session.
pub const TOO_MANY_REQUESTS: i64 = 10028;
pub const NOT_OWNER_OF_ORDER: i64 = 10029;
pub const MUST_BE_WEBSOCKET: i64 = 10030;
pub const WHOLE_COST_TOO_LOW: i64 = 10032;
pub const TRIGGER_PRICE_TOO_HIGH: i64 = 10034;
pub const TRIGGER_PRICE_TOO_LOW: i64 = 10035;
pub const NOT_ENOUGH_FUNDS_IN_CURRENCY: i64 = 10039;
/// "Request can't be processed right now and should be retried."
pub const RETRY: i64 = 10040;
pub const SETTLEMENT_IN_PROGRESS: i64 = 10041;
pub const PRICE_WRONG_TICK: i64 = 10043;
pub const TRIGGER_PRICE_WRONG_TICK: i64 = 10044;
pub const MATCHING_ENGINE_QUEUE_FULL: i64 = 10047;
pub const CANCEL_ON_DISCONNECT_FAILED: i64 = 10049;
pub const TOO_MANY_CONCURRENT_REQUESTS: i64 = 10066;
pub const ALREADY_FILLED: i64 = 11008;
pub const POST_ONLY_PRICE_MODIFICATION: i64 = 11021;
pub const INVALID_ARGUMENTS: i64 = 11029;
pub const OTHER_REJECT: i64 = 11030;
pub const OTHER_ERROR: i64 = 11031;
pub const NO_MORE_TRIGGERS: i64 = 11035;
pub const INVALID_TRIGGER_PRICE: i64 = 11036;
pub const PERMISSION_DENIED: i64 = 11042;
pub const BAD_ARGUMENT: i64 = 11043;
pub const NOT_OPEN_ORDER: i64 = 11044;
pub const BAD_ARGUMENTS: i64 = 11049;
pub const BAD_REQUEST: i64 = 11050;
pub const SYSTEM_MAINTENANCE: i64 = 11051;
pub const POST_ONLY_REJECT: i64 = 11054;
pub const UNAUTHENTICATED_PUBLIC_DISABLED: i64 = 11056;
pub const INTERNAL_SERVER_ERROR: i64 = 11094;
pub const ACCOUNT_LOCKED: i64 = 11098;
pub const LOGIN_OVER_LIMIT: i64 = 12003;
pub const COUNTRY_IS_BANNED: i64 = 12005;
/// "Invalid credentials have been used."
pub const INVALID_CREDENTIALS: i64 = 13004;
/// "Wrong or expired authorization token or bad signature."
pub const UNAUTHORIZED: i64 = 13009;
pub const INVALID_INPUT: i64 = 13016;
pub const ORDERBOOK_CLOSED: i64 = 13019;
pub const NOT_FOUND: i64 = 13020;
/// "Not enough permissions to execute the request, forbidden."
pub const FORBIDDEN: i64 = 13021;
pub const METHOD_SWITCHED_OFF: i64 = 13025;
pub const TEMPORARILY_UNAVAILABLE: i64 = 13028;
pub const MMP_TRIGGER: i64 = 13030;
/// "Request allowed only for orders uniquely identified by given label, more than one match
/// was found."
pub const NON_UNIQUE_ORDER_LABEL: i64 = 13032;
pub const NO_MORE_SECURITY_KEYS: i64 = 13034;
/// "Cancel-on-Disconnect is not enabled for the connection."
pub const COD_NOT_ENABLED: i64 = 13042;
pub const SCOPE_EXCEEDED: i64 = 13403;
pub const UNAVAILABLE: i64 = 13503;
pub const REPLACED: i64 = 13777;
pub const RAW_SUBSCRIPTIONS_UNAUTHORIZED: i64 = 13778;
/// "Server did not manage to process request when it was valid (`valid_until`)."
pub const TIMED_OUT: i64 = 13888;
pub const INVALID_PARAMS: i64 = -32602;
pub const REQUEST_TOO_LARGE: i64 = -32600;
pub const METHOD_NOT_FOUND: i64 = -32601;
pub const PARSE_ERROR: i64 = -32700;
pub const MISSING_PARAMS: i64 = -32000;

/// Every code of the full table with its short message, as Deribit names it (`<Limit>`,
/// `<Reason>` and the like left out). The table lists 13907 twice, for two messages.
pub const CODES: &[(i64, &str)] = &[
    (10000, "authorization_required"),
    (10001, "error"),
    (10002, "qty_too_low"),
    (10003, "order_overlap"),
    (10004, "order_not_found"),
    (10005, "price_too_low"),
    (10006, "price_too_low4idx"),
    (10007, "price_too_high"),
    (10009, "not_enough_funds"),
    (10010, "already_closed"),
    (10011, "price_not_allowed"),
    (10012, "book_closed"),
    (10013, "pme_max_total_open_orders"),
    (10014, "pme_max_future_open_orders"),
    (10015, "pme_max_option_open_orders"),
    (10016, "pme_max_future_open_orders_size"),
    (10017, "pme_max_option_open_orders_size"),
    (10018, "non_pme_max_future_position_size"),
    (10019, "locked_by_admin"),
    (10020, "invalid_or_unsupported_instrument"),
    (10021, "invalid_amount"),
    (10022, "invalid_quantity"),
    (10023, "invalid_price"),
    (10024, "invalid_max_show"),
    (10025, "invalid_order_id"),
    (10026, "price_precision_exceeded"),
    (10027, "non_integer_contract_amount"),
    (10028, "too_many_requests"),
    (10029, "not_owner_of_order"),
    (10030, "must_be_websocket_request"),
    (10031, "invalid_args_for_instrument"),
    (10032, "whole_cost_too_low"),
    (10033, "not_implemented"),
    (10034, "trigger_price_too_high"),
    (10035, "trigger_price_too_low"),
    (10036, "invalid_max_show_amount"),
    (10037, "non_pme_total_short_options_positions_size"),
    (10038, "pme_max_risk_reducing_orders"),
    (10039, "not_enough_funds_in_currency"),
    (10040, "retry"),
    (10041, "settlement_in_progress"),
    (10043, "price_wrong_tick"),
    (10044, "trigger_price_wrong_tick"),
    (10045, "can_not_cancel_liquidation_order"),
    (10046, "can_not_edit_liquidation_order"),
    (10047, "matching_engine_queue_full"),
    (10048, "not_on_this_server"),
    (10049, "cancel_on_disconnect_failed"),
    (10066, "too_many_concurrent_requests"),
    (10072, "disabled_while_position_lock"),
    (11008, "already_filled"),
    (11013, "max_spot_open_orders"),
    (11021, "post_only_price_modification_not_possible"),
    (11022, "max_spot_order_quantity"),
    (11029, "invalid_arguments"),
    (11030, "other_reject"),
    (11031, "other_error"),
    (11035, "no_more_triggers"),
    (11036, "invalid_trigger_price"),
    (11037, "outdated_instrument_for_IV_order"),
    (11038, "no_adv_for_futures"),
    (11039, "no_adv_postonly"),
    (11041, "not_adv_order"),
    (11042, "permission_denied"),
    (11043, "bad_argument"),
    (11044, "not_open_order"),
    (11045, "invalid_event"),
    (11046, "outdated_instrument"),
    (11047, "unsupported_arg_combination"),
    (11048, "wrong_max_show_for_option"),
    (11049, "bad_arguments"),
    (11050, "bad_request"),
    (11051, "system_maintenance"),
    (11052, "subscribe_error_unsubscribed"),
    (11053, "transfer_not_found"),
    (11054, "post_only_reject"),
    (11055, "post_only_not_allowed"),
    (
        11056,
        "unauthenticated_public_requests_temporarily_disabled",
    ),
    (11090, "invalid_addr"),
    (11091, "invalid_transfer_address"),
    (11092, "address_already_exist"),
    (11093, "max_addr_count_exceeded"),
    (11094, "internal_server_error"),
    (11095, "disabled_deposit_address_creation"),
    (11096, "address_belongs_to_user"),
    (11097, "no_deposit_address"),
    (11098, "account_locked"),
    (12001, "too_many_subaccounts"),
    (12002, "wrong_subaccount_name"),
    (12003, "login_over_limit"),
    (12004, "registration_over_limit"),
    (12005, "country_is_banned"),
    (12100, "transfer_not_allowed"),
    (12998, "security_key_authorization_over_limit"),
    (13004, "invalid_credentials"),
    (13005, "pwd_match_error"),
    (13006, "security_error"),
    (13007, "user_not_found"),
    (13008, "request_failed"),
    (13009, "unauthorized"),
    (13010, "value_required"),
    (13011, "value_too_short"),
    (13012, "unavailable_in_subaccount"),
    (13013, "invalid_phone_number"),
    (13014, "cannot_send_sms"),
    (13015, "invalid_sms_code"),
    (13016, "invalid_input"),
    (13018, "invalid_content_type"),
    (13019, "orderbook_closed"),
    (13020, "not_found"),
    (13021, "forbidden"),
    (13025, "method_switched_off_by_admin"),
    (13028, "temporarily_unavailable"),
    (13030, "mmp_trigger"),
    (13031, "verification_required"),
    (13032, "non_unique_order_label"),
    (13034, "no_more_security_keys_allowed"),
    (13035, "active_combo_limit_reached"),
    (13036, "unavailable_for_combo_books"),
    (13037, "incomplete_KYC_data"),
    (13040, "mmp_required"),
    (13042, "cod_not_enabled"),
    (13043, "quotes_frozen"),
    (13403, "scope_exceeded"),
    (13503, "unavailable"),
    (13666, "request_cancelled_by_user"),
    (13777, "replaced"),
    (13778, "raw_subscriptions_not_available_for_unauthorized"),
    (13780, "move_positions_over_limit"),
    (13781, "coupon_already_used"),
    (13791, "KYC_transfer_already_initiated"),
    (13792, "incomplete_KYC_data"),
    (13793, "KYC_data_inaccessible"),
    (13888, "timed_out"),
    (13901, "no_more_oto_orders"),
    (13902, "mass_quotes_disabled"),
    (13903, "too_many_quotes"),
    (13904, "security_key_setup_required"),
    (13905, "too_many_quotes_per_block_rfq"),
    (13906, "too_many_quotes_per_block_rfq_side"),
    (13907, "not_fully_filled"),
    (13907, "too_many_open_block_rfqs"),
    (13910, "quote_crossed"),
    (13911, "max_broker_client_count"),
    (13912, "broker_cannot_be_client"),
    (13913, "broker_already_linked"),
    (13914, "user_is_a_broker_client"),
    (13915, "user_is_not_a_broker"),
    (13916, "app_registered_to_broker"),
    (13917, "account_quote_limit_crossed"),
    (13918, "inverse_future_cross_trading"),
    (13919, "client_of_main_account"),
    (-32602, "Invalid params"),
    (-32600, "request entity too large"),
    (-32601, "Method not found"),
    (-32700, "Parse error"),
    (-32000, "Missing params"),
];

/// Deribit's short name of `code`, if the table has it.
pub fn name_of(code: i64) -> Option<&'static str> {
    CODES.iter().find(|(c, _)| *c == code).map(|(_, n)| *n)
}

/// What a refusal with Deribit's `code` says about the key or the clock. Deribit documents no
/// code of its own for a stale timestamp: a signature older than 60 s is refused as
/// `unauthorized` (13009) like any bad signature, so the two cannot be told apart here.
pub fn refusal_cause(code: i64) -> RefusalCause {
    match code {
        AUTHORIZATION_REQUIRED
        | INVALID_CREDENTIALS
        | UNAUTHORIZED
        | FORBIDDEN
        | PERMISSION_DENIED
        | SCOPE_EXCEEDED
        | LOGIN_OVER_LIMIT => RefusalCause::Authentication,
        _ => RefusalCause::Other,
    }
}

/// Whether `code` says the access token has expired or been invalidated (get a new one: refresh
/// it, or authenticate again).
pub fn is_token_refusal(code: i64) -> bool {
    matches!(code, UNAUTHORIZED | AUTHORIZATION_REQUIRED)
}

/// The kind of a refusal with Deribit's `code`.
pub fn kind_of(code: i64) -> ErrorKind {
    match code {
        TOO_MANY_REQUESTS | TOO_MANY_CONCURRENT_REQUESTS | MATCHING_ENGINE_QUEUE_FULL => {
            ErrorKind::RateLimited
        }
        GENERAL_ERROR
        | RETRY
        | SETTLEMENT_IN_PROGRESS
        | SYSTEM_MAINTENANCE
        | INTERNAL_SERVER_ERROR
        | TEMPORARILY_UNAVAILABLE
        | UNAVAILABLE
        | METHOD_SWITCHED_OFF
        | TIMED_OUT
        | OTHER_ERROR => ErrorKind::VenueFailure,
        _ => ErrorKind::Rejected,
    }
}

/// Whether the venue may have acted on a request it answered with `code`: a general failure,
/// an unhandled server error or "the service is not responding" say nothing about the order.
/// `timed_out` (13888) says it was not processed.
pub fn outcome_unknown(code: i64) -> bool {
    matches!(
        code,
        GENERAL_ERROR | INTERNAL_SERVER_ERROR | TEMPORARILY_UNAVAILABLE | OTHER_ERROR
    )
}

/// The trader's sentence for Deribit's `code`; `msg` is Deribit's own message.
pub fn trader_message(code: i64, msg: &str) -> String {
    let text = match code {
        AUTHORIZATION_REQUIRED | UNAUTHORIZED => {
            "Deribit did not accept the authorization: the access token has expired or the \
             signature is wrong (check that this computer's clock is right, then enter the \
             client id and secret again if it keeps happening)."
        }
        INVALID_CREDENTIALS => {
            "Deribit does not know this client id and secret (deleted, disabled or mistyped). \
             Check the key under Account → API on Deribit and enter it again."
        }
        FORBIDDEN | PERMISSION_DENIED | SCOPE_EXCEEDED => {
            "This API key may not do this: give it the trade:read_write scope (or what the \
             action needs) under Account → API on Deribit, or use another key."
        }
        LOGIN_OVER_LIMIT => {
            "Deribit is refusing logins after too many failed attempts. Wait before trying \
             again, and check the client id and secret."
        }
        TOO_MANY_REQUESTS => {
            "Deribit's request limit for this sub-account was reached and Deribit closed the \
             session. Rampart waits for the credits to refill before sending more."
        }
        TOO_MANY_CONCURRENT_REQUESTS | MATCHING_ENGINE_QUEUE_FULL => {
            "Too many requests are waiting at Deribit. Wait a moment before sending more."
        }
        RETRY | TEMPORARILY_UNAVAILABLE | UNAVAILABLE | METHOD_SWITCHED_OFF => {
            "Deribit could not process the request right now. Try again in a moment."
        }
        SETTLEMENT_IN_PROGRESS => {
            "Deribit is settling (trading pauses for a few seconds each day at settlement). \
             Try again in a few seconds."
        }
        SYSTEM_MAINTENANCE => "Deribit is under maintenance. Try again later.",
        GENERAL_ERROR | INTERNAL_SERVER_ERROR | OTHER_ERROR => {
            "Deribit failed while handling the request; it may or may not have been carried \
             out. Rampart checks the order's state before anything is sent again."
        }
        TIMED_OUT => {
            "Deribit did not process the request while it was valid; nothing was done. Send it \
             again if it is still wanted."
        }
        NOT_ENOUGH_FUNDS | NOT_ENOUGH_FUNDS_IN_CURRENCY => {
            "Not enough margin for this order. Reduce the size, close other positions or add \
             funds."
        }
        QTY_TOO_LOW => "The order is smaller than Deribit's minimum amount for this instrument.",
        INVALID_AMOUNT | NON_INTEGER_CONTRACT_AMOUNT => {
            "The amount is not a valid size for this instrument: it must be a multiple of the \
             instrument's minimum trade amount."
        }
        PRICE_WRONG_TICK | PRICE_PRECISION_EXCEEDED => {
            "The price is not on the instrument's tick (which on Deribit can depend on the \
             price). Round it to the tick and send again."
        }
        TRIGGER_PRICE_WRONG_TICK => "The trigger price is not on the instrument's tick.",
        PRICE_TOO_LOW | PRICE_TOO_LOW_FOR_INDEX | PRICE_TOO_HIGH | PRICE_NOT_ALLOWED => {
            "The price is outside Deribit's current price limits for this instrument. Move it \
             closer to the market."
        }
        TRIGGER_PRICE_TOO_HIGH | TRIGGER_PRICE_TOO_LOW | INVALID_TRIGGER_PRICE => {
            "The trigger price is on the wrong side of the market or too far from it."
        }
        ORDER_NOT_FOUND => "Deribit has no such order (by this id or label).",
        NON_UNIQUE_ORDER_LABEL => {
            "More than one order carries this label on Deribit, so it cannot be changed by \
             label. Cancel or edit the orders one by one."
        }
        ALREADY_CLOSED | NOT_OPEN_ORDER => "The order has already been filled or cancelled.",
        ALREADY_FILLED => "The order has already been filled.",
        NOT_OWNER_OF_ORDER => "That order belongs to another account.",
        ORDER_OVERLAP => {
            "The order would trade against one of the account's own orders, and self-trading \
             is not enabled."
        }
        POST_ONLY_REJECT => "Post-only order refused: at this price it would have traded at once.",
        POST_ONLY_PRICE_MODIFICATION => "A post-only order's price cannot be changed this way.",
        BOOK_CLOSED | ORDERBOOK_CLOSED => {
            "This instrument's order book is closed (expired or not yet trading)."
        }
        INVALID_INSTRUMENT | NOT_FOUND => {
            "Deribit does not list this instrument (or it has expired)."
        }
        LOCKED_BY_ADMIN | ACCOUNT_LOCKED => {
            "Deribit has locked trading on this account. Contact Deribit support."
        }
        COUNTRY_IS_BANNED => "Deribit does not serve this country or IP address.",
        WHOLE_COST_TOO_LOW => "The order's total value is below Deribit's minimum.",
        NO_MORE_TRIGGERS => "Deribit's limit of open trigger orders was reached.",
        MMP_TRIGGER => "Deribit's market maker protection has frozen quoting on this account.",
        MUST_BE_WEBSOCKET => {
            "Deribit takes this only over a WebSocket connection (cancel-on-disconnect, \
             subscriptions)."
        }
        COD_NOT_ENABLED => "Cancel-on-disconnect is not enabled for this connection.",
        CANCEL_ON_DISCONNECT_FAILED => {
            "Deribit could not turn on cancel-on-disconnect for this connection. Try again."
        }
        REPLACED => "The edit was overtaken by a later edit of the same order.",
        RAW_SUBSCRIPTIONS_UNAUTHORIZED => {
            "Raw (unaggregated) streams need an authenticated connection."
        }
        UNAUTHENTICATED_PUBLIC_DISABLED => {
            "Deribit has paused unauthenticated public requests: connect with an API key."
        }
        INVALID_PRICE | INVALID_ARGUMENTS | BAD_ARGUMENT | BAD_ARGUMENTS | BAD_REQUEST
        | INVALID_INPUT | INVALID_PARAMS | MISSING_PARAMS | OTHER_REJECT => {
            return format!("Deribit refused a parameter of the request: {msg}");
        }
        _ => {
            return match name_of(code) {
                Some(name) => format!("Deribit refused the request ({code} {name}): {msg}"),
                None => format!("Deribit refused the request ({code}): {msg}"),
            };
        }
    };
    text.to_owned()
}

/// A refusal by Deribit with its `code` and `message`.
pub fn rejected(code: i64, msg: &str) -> Error {
    Error {
        venue: VenueId::Deribit,
        kind: kind_of(code),
        venue_code: Some(code.to_string()),
        venue_message: Some(msg.to_owned()),
        message: trader_message(code, msg),
        outcome_unknown: outcome_unknown(code),
        not_sent: false,
        retry_at_ms: None,
    }
}

/// A Rampart-side error of `kind` (no venue code).
pub fn local(kind: ErrorKind, message: impl Into<String>) -> Error {
    Error {
        venue: VenueId::Deribit,
        kind,
        venue_code: None,
        venue_message: None,
        message: message.into(),
        outcome_unknown: false,
        not_sent: false,
        retry_at_ms: None,
    }
}

/// Refused before sending: breaks the instrument's rules or the venue's.
pub fn validation(message: impl Into<String>) -> Error {
    Error {
        not_sent: true,
        ..local(ErrorKind::Validation, message)
    }
}

/// Something Deribit does not have (nothing sent).
pub fn unsupported(message: impl Into<String>) -> Error {
    validation(message)
}

/// A set-up problem (nothing sent).
pub fn config(message: impl Into<String>) -> Error {
    Error {
        not_sent: true,
        ..local(ErrorKind::Config, message)
    }
}

/// An answer not in the documented shape.
pub fn malformed(what: impl std::fmt::Display) -> Error {
    local(
        ErrorKind::Malformed,
        format!(
            "Deribit's answer was not in the documented shape ({what}); nothing was changed \
             from it. Check the order's state before acting again."
        ),
    )
}

/// Held by our own credit budget until venue time `retry_at_ms` (nothing sent).
pub fn held(retry_at_ms: i64, what: &str) -> Error {
    Error {
        not_sent: true,
        retry_at_ms: Some(retry_at_ms),
        ..local(
            ErrorKind::RateLimited,
            format!(
                "Held back before Deribit's rate limit for {what} would be reached; it can be \
                 sent again in a moment."
            ),
        )
    }
}

/// The venue's code of `e` as a number.
pub fn code_of(e: &Error) -> Option<i64> {
    e.venue_code.as_deref().and_then(|c| c.parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_full_table_is_used_not_the_summary() {
        assert_eq!(name_of(13004), Some("invalid_credentials"));
        assert_eq!(name_of(10009), Some("not_enough_funds"));
        assert_eq!(name_of(10004), Some("order_not_found"));
        // The summary's numbers mean something else in the full table.
        assert_eq!(name_of(10001), Some("error"));
        assert_eq!(name_of(10002), Some("qty_too_low"));
        assert_eq!(name_of(11000), None);
        assert!(CODES.len() > 150, "the whole table, {} codes", CODES.len());
    }

    #[test]
    fn key_refusals_are_told_apart_from_the_rest() {
        assert_eq!(refusal_cause(UNAUTHORIZED), RefusalCause::Authentication);
        assert_eq!(
            refusal_cause(INVALID_CREDENTIALS),
            RefusalCause::Authentication
        );
        assert_eq!(refusal_cause(FORBIDDEN), RefusalCause::Authentication);
        assert_eq!(refusal_cause(NOT_ENOUGH_FUNDS), RefusalCause::Other);
        let e = rejected(UNAUTHORIZED, "unauthorized");
        assert_eq!(e.refusal_cause(), RefusalCause::Authentication);
        assert!(is_token_refusal(UNAUTHORIZED) && !is_token_refusal(INVALID_CREDENTIALS));
    }

    #[test]
    fn refusals_keep_the_code_and_say_what_to_do() {
        let e = rejected(NOT_ENOUGH_FUNDS, "not_enough_funds");
        assert_eq!(e.kind, ErrorKind::Rejected);
        assert_eq!(e.venue_code.as_deref(), Some("10009"));
        assert!(e.message.contains("Not enough margin"));
        let e = rejected(TOO_MANY_REQUESTS, "too_many_requests");
        assert_eq!(e.kind, ErrorKind::RateLimited);
        let e = rejected(INTERNAL_SERVER_ERROR, "internal_server_error");
        assert!(e.outcome_unknown);
        let e = rejected(TIMED_OUT, "timed_out");
        assert!(!e.outcome_unknown, "timed_out says it was not processed");
        let e = rejected(NON_UNIQUE_ORDER_LABEL, "non_unique_order_label");
        assert!(e.message.contains("More than one order"));
        let e = rejected(12100, "transfer_not_allowed");
        assert!(
            e.message.contains("12100 transfer_not_allowed"),
            "{}",
            e.message
        );
        let e = rejected(99_999, "new");
        assert!(e.message.contains("99999") && e.message.contains("new"));
    }

    #[test]
    fn local_refusals_say_nothing_was_sent() {
        assert!(validation("x").not_sent);
        let e = held(5, "orders");
        assert_eq!(e.retry_at_ms, Some(5));
        assert!(e.not_sent && e.kind == ErrorKind::RateLimited);
    }
}
