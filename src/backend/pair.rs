//! Two of a thing, indexed by which one: the forward and backward task, or
//! database a and b. Saves `match` ladders everywhere a pair is held.

use std::ops::{Index, IndexMut};

use serde::Serialize;

use super::{DbSide, TaskRole};

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PerTask<T> {
    pub forward: T,
    pub backward: T,
}

impl<T> PerTask<T> {
    pub fn new(mut f: impl FnMut(TaskRole) -> T) -> Self {
        PerTask {
            forward: f(TaskRole::Forward),
            backward: f(TaskRole::Backward),
        }
    }
}

impl<T> Index<TaskRole> for PerTask<T> {
    type Output = T;
    fn index(&self, role: TaskRole) -> &T {
        match role {
            TaskRole::Forward => &self.forward,
            TaskRole::Backward => &self.backward,
        }
    }
}

impl<T> IndexMut<TaskRole> for PerTask<T> {
    fn index_mut(&mut self, role: TaskRole) -> &mut T {
        match role {
            TaskRole::Forward => &mut self.forward,
            TaskRole::Backward => &mut self.backward,
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PerDb<T> {
    pub a: T,
    pub b: T,
}

impl<T> PerDb<T> {
    pub fn new(mut f: impl FnMut(DbSide) -> T) -> Self {
        PerDb {
            a: f(DbSide::A),
            b: f(DbSide::B),
        }
    }
}

impl<T> Index<DbSide> for PerDb<T> {
    type Output = T;
    fn index(&self, side: DbSide) -> &T {
        match side {
            DbSide::A => &self.a,
            DbSide::B => &self.b,
        }
    }
}

impl<T> IndexMut<DbSide> for PerDb<T> {
    fn index_mut(&mut self, side: DbSide) -> &mut T {
        match side {
            DbSide::A => &mut self.a,
            DbSide::B => &mut self.b,
        }
    }
}
