//! Every regular order the simulator accepted, and the indexes the order path reads, so that the
//! cost of placing, matching or pricing an order depends on the orders that are open, not on how
//! many were ever taken.
//!
//! Binance's New Order page describes `newClientOrderId` as "A unique id among open orders": an
//! id may be used again once the earlier order is filled, canceled or expired. So a client id
//! names at most one *open* order, while the record of acceptances ([`OrderStore::accepted`])
//! may count the same id several times, and a test can count duplicates from it.

use std::collections::{BTreeSet, HashMap};

use super::exchange::Order;

/// An account on one symbol: the scope of open-order margin and of `GET /fapi/v1/openOrders`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(super) struct AccountSymbol {
    pub(super) api_key: String,
    pub(super) symbol: String,
}

impl AccountSymbol {
    pub(super) fn new(api_key: &str, symbol: &str) -> Self {
        Self {
            api_key: api_key.to_owned(),
            symbol: symbol.to_owned(),
        }
    }
}

/// What `origClientOrderId` names: an account's client order id on one symbol.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(super) struct ClientOrderKey {
    pub(super) api_key: String,
    pub(super) symbol: String,
    pub(super) client_id: String,
}

impl ClientOrderKey {
    pub(super) fn new(api_key: &str, symbol: &str, client_id: &str) -> Self {
        Self {
            api_key: api_key.to_owned(),
            symbol: symbol.to_owned(),
            client_id: client_id.to_owned(),
        }
    }
}

/// One account's client order id, on any symbol: the unit the acceptance record counts.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AcceptedOrder {
    pub api_key: String,
    pub client_order_id: String,
}

/// Every accepted regular order by `orderId`, with indexes: the latest order per client id,
/// the open orders per account and symbol and per symbol (oldest first), and how many times
/// each client id was accepted.
#[derive(Default)]
pub(super) struct OrderStore {
    by_id: HashMap<u64, Order>,
    latest_by_client_id: HashMap<ClientOrderKey, u64>,
    open_by_account: HashMap<AccountSymbol, BTreeSet<u64>>,
    open_by_symbol: HashMap<String, BTreeSet<u64>>,
    accepted: HashMap<AcceptedOrder, usize>,
}

impl OrderStore {
    /// Records a newly accepted order (open or not).
    pub(super) fn insert(&mut self, order: Order) {
        let id = order.order_id;
        self.latest_by_client_id.insert(
            ClientOrderKey::new(&order.api_key, &order.symbol, &order.client_id),
            id,
        );
        *self
            .accepted
            .entry(AcceptedOrder {
                api_key: order.api_key.clone(),
                client_order_id: order.client_id.clone(),
            })
            .or_default() += 1;
        if order.is_open() {
            self.index_open(&order);
        }
        self.by_id.insert(id, order);
    }

    fn index_open(&mut self, order: &Order) {
        self.open_by_account
            .entry(AccountSymbol::new(&order.api_key, &order.symbol))
            .or_default()
            .insert(order.order_id);
        self.open_by_symbol
            .entry(order.symbol.clone())
            .or_default()
            .insert(order.order_id);
    }

    fn unindex_open(&mut self, order_id: u64, api_key: &str, symbol: &str) {
        let scope = AccountSymbol::new(api_key, symbol);
        if let Some(ids) = self.open_by_account.get_mut(&scope) {
            ids.remove(&order_id);
            if ids.is_empty() {
                self.open_by_account.remove(&scope);
            }
        }
        if let Some(ids) = self.open_by_symbol.get_mut(symbol) {
            ids.remove(&order_id);
        }
    }

    pub(super) fn get(&self, order_id: u64) -> Option<&Order> {
        self.by_id.get(&order_id)
    }

    /// Changes an order through `change`, then keeps the open-order indexes in step with its
    /// status. Returns what `change` returned, or `None` for an unknown id.
    pub(super) fn update<R>(
        &mut self,
        order_id: u64,
        change: impl FnOnce(&mut Order) -> R,
    ) -> Option<R> {
        let order = self.by_id.get_mut(&order_id)?;
        let was_open = order.is_open();
        let result = change(order);
        let now_open = order.is_open();
        if was_open && !now_open {
            let (api_key, symbol) = (order.api_key.clone(), order.symbol.clone());
            self.unindex_open(order_id, &api_key, &symbol);
        } else if !was_open && now_open {
            let order = order.clone();
            self.index_open(&order);
        }
        Some(result)
    }

    /// The account's latest order with this client id on `symbol` (open or not).
    pub(super) fn latest_by_client_id(
        &self,
        api_key: &str,
        symbol: &str,
        client_id: &str,
    ) -> Option<u64> {
        self.latest_by_client_id
            .get(&ClientOrderKey::new(api_key, symbol, client_id))
            .copied()
    }

    /// The account's order `order_id` on `symbol`, if it is theirs.
    pub(super) fn owned(&self, api_key: &str, symbol: &str, order_id: u64) -> Option<u64> {
        self.by_id
            .get(&order_id)
            .filter(|o| o.api_key == api_key && o.symbol == symbol)
            .map(|o| o.order_id)
    }

    /// Whether the account has an open order with this client id on `symbol`.
    pub(super) fn is_open_client_id(&self, api_key: &str, symbol: &str, client_id: &str) -> bool {
        self.latest_by_client_id(api_key, symbol, client_id)
            .and_then(|id| self.by_id.get(&id))
            .is_some_and(Order::is_open)
    }

    /// The account's open orders on `symbol`, oldest first.
    pub(super) fn open_on<'a>(
        &'a self,
        api_key: &str,
        symbol: &str,
    ) -> impl Iterator<Item = &'a Order> + 'a {
        self.open_by_account
            .get(&AccountSymbol::new(api_key, symbol))
            .into_iter()
            .flatten()
            .filter_map(|id| self.by_id.get(id))
    }

    /// Ids of the account's open orders on `symbol`, oldest first.
    pub(super) fn open_ids_on(&self, api_key: &str, symbol: &str) -> Vec<u64> {
        self.open_on(api_key, symbol).map(|o| o.order_id).collect()
    }

    /// The account's open orders on every symbol, oldest first.
    pub(super) fn open_of(&self, api_key: &str) -> Vec<&Order> {
        let mut ids: Vec<u64> = self
            .open_by_account
            .iter()
            .filter(|(scope, _)| scope.api_key == api_key)
            .flat_map(|(_, ids)| ids.iter().copied())
            .collect();
        ids.sort_unstable();
        ids.iter().filter_map(|id| self.by_id.get(id)).collect()
    }

    /// Ids of every account's open orders on `symbol`, oldest first.
    pub(super) fn open_ids_on_symbol(&self, symbol: &str) -> Vec<u64> {
        self.open_by_symbol
            .get(symbol)
            .map(|ids| ids.iter().copied().collect())
            .unwrap_or_default()
    }

    /// How many orders were accepted (all accounts).
    pub(super) fn len(&self) -> usize {
        self.by_id.len()
    }

    /// Every accepted order, oldest first.
    pub(super) fn all(&self) -> Vec<&Order> {
        let mut all: Vec<&Order> = self.by_id.values().collect();
        all.sort_unstable_by_key(|o| o.order_id);
        all
    }

    /// How many times the account's client id was accepted (any symbol).
    pub(super) fn accepted_count(&self, api_key: &str, client_order_id: &str) -> usize {
        self.accepted
            .get(&AcceptedOrder {
                api_key: api_key.to_owned(),
                client_order_id: client_order_id.to_owned(),
            })
            .copied()
            .unwrap_or(0)
    }

    /// The acceptance record: each (account, client id) with how many times it was accepted,
    /// sorted.
    pub(super) fn accepted(&self) -> Vec<(AcceptedOrder, usize)> {
        let mut all: Vec<(AcceptedOrder, usize)> =
            self.accepted.iter().map(|(k, n)| (k.clone(), *n)).collect();
        all.sort();
        all
    }
}
