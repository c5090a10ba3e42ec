//! An arena whose freed slots are reused: entities under way in a partition (call-up waves, tube
//! records) are numbered by their slot, and a number is given again once its entity is gone.

/// Values numbered by slot; a removed value's number is reused (last freed, first reused).
#[derive(Debug)]
pub(super) struct Slots<T> {
    slots: Vec<Option<T>>,
    free: Vec<u32>,
}

impl<T> Default for Slots<T> {
    fn default() -> Self {
        Slots {
            slots: Vec::new(),
            free: Vec::new(),
        }
    }
}

impl<T> Slots<T> {
    /// Takes in a value; returns its number.
    pub(super) fn insert(&mut self, value: T) -> u32 {
        match self.free.pop() {
            Some(id) => {
                self.slots[id as usize] = Some(value);
                id
            }
            None => {
                self.slots.push(Some(value));
                (self.slots.len() - 1) as u32
            }
        }
    }

    /// Takes value `id` out, if there; its number is reused.
    pub(super) fn remove(&mut self, id: u32) -> Option<T> {
        let value = self.slots.get_mut(id as usize)?.take();
        if value.is_some() {
            self.free.push(id);
        }
        value
    }

    /// Value `id`, if there.
    pub(super) fn get(&self, id: u32) -> Option<&T> {
        self.slots.get(id as usize)?.as_ref()
    }

    /// Value `id`, if there.
    pub(super) fn get_mut(&mut self, id: u32) -> Option<&mut T> {
        self.slots.get_mut(id as usize)?.as_mut()
    }

    /// The most values held at once.
    pub(super) fn capacity_used(&self) -> usize {
        self.slots.len()
    }

    /// The values, in slot order.
    pub(super) fn iter(&self) -> impl Iterator<Item = &T> {
        self.slots.iter().filter_map(Option::as_ref)
    }
}

#[cfg(test)]
mod tests {
    use super::Slots;

    #[test]
    fn numbers_are_reused_last_freed_first() {
        let mut s = Slots::default();
        assert_eq!((s.insert('a'), s.insert('b'), s.insert('c')), (0, 1, 2));
        assert_eq!(s.remove(0), Some('a'));
        assert_eq!(s.remove(2), Some('c'));
        assert_eq!(s.remove(2), None);
        assert_eq!(s.insert('d'), 2);
        assert_eq!(s.insert('e'), 0);
        assert_eq!(s.insert('f'), 3);
        assert_eq!(s.iter().copied().collect::<String>(), "ebdf");
        assert_eq!(s.capacity_used(), 4);
        assert_eq!(s.get(1), Some(&'b'));
    }
}
