//! Every accepted order, open or finished, with the indexes lookups and matching read: by venue
//! id, by (account, client id), the open ones (oldest first), and per account.

use std::collections::{BTreeSet, HashMap};

use super::types::{AccountId, Order};

#[derive(Default)]
pub(super) struct OrderStore {
    /// By `seq - 1`.
    all: Vec<Order>,
    by_id: HashMap<String, u64>,
    /// The latest order with each (account, client id).
    by_client: HashMap<(AccountId, String), u64>,
    open: BTreeSet<u64>,
    by_account: HashMap<AccountId, Vec<u64>>,
}

impl OrderStore {
    pub(super) fn next_seq(&self) -> u64 {
        self.all.len() as u64 + 1
    }

    pub(super) fn insert(&mut self, order: Order) {
        let seq = order.seq;
        self.by_id.insert(order.id.clone(), seq);
        if let Some(c) = &order.client_id {
            self.by_client
                .insert((order.account.clone(), c.clone()), seq);
        }
        if order.is_open() {
            self.open.insert(seq);
        }
        self.by_account
            .entry(order.account.clone())
            .or_default()
            .push(seq);
        self.all.push(order);
    }

    pub(super) fn get(&self, seq: u64) -> Option<&Order> {
        let i = usize::try_from(seq.checked_sub(1)?).ok()?;
        self.all.get(i)
    }

    /// Changes an order and keeps the open index in step.
    pub(super) fn update<R>(&mut self, seq: u64, f: impl FnOnce(&mut Order) -> R) -> Option<R> {
        let i = usize::try_from(seq.checked_sub(1)?).ok()?;
        let order = self.all.get_mut(i)?;
        let r = f(order);
        if order.is_open() {
            self.open.insert(seq);
        } else {
            self.open.remove(&seq);
        }
        Some(r)
    }

    pub(super) fn seq_by_id(&self, id: &str) -> Option<u64> {
        self.by_id.get(id).copied()
    }

    pub(super) fn seq_by_client(&self, account: &str, client_id: &str) -> Option<u64> {
        self.by_client
            .get(&(account.to_owned(), client_id.to_owned()))
            .copied()
    }

    /// Open orders, oldest first.
    pub(super) fn open_seqs(&self) -> Vec<u64> {
        self.open.iter().copied().collect()
    }

    pub(super) fn open_orders(&self) -> impl Iterator<Item = &Order> {
        self.open.iter().filter_map(|s| self.get(*s))
    }

    /// Every order of an account, oldest first.
    pub(super) fn of_account(&self, account: &str) -> impl Iterator<Item = &Order> {
        self.by_account
            .get(account)
            .into_iter()
            .flatten()
            .filter_map(|s| self.get(*s))
    }

    pub(super) fn len(&self) -> usize {
        self.all.len()
    }
}
