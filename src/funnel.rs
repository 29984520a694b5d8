//! How far a shopper went with Vitrine's widgets since the last batch: the funnel stage the
//! batch reports (noised), so that the store can compare click-through and add-to-cart rates
//! of the personalized and holdout arms.
//!
//! Only the furthest stage is kept, not a count, so the stored state is one small number and
//! the batch's `funnel` field has a fixed, small domain that randomized response can cover.

/// A stage of the widget funnel, in the order a shopper moves through it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub enum FunnelStage {
    /// Saw no Vitrine widget.
    #[default]
    None = 0,
    /// A widget was shown to the shopper.
    Impression = 1,
    /// The shopper clicked an item in a widget.
    Click = 2,
    /// The shopper added an item they found in a widget to the cart.
    CartAdd = 3,
}

/// How many stages there are: the domain of the batch's `funnel` field.
pub const FUNNEL_STAGES: u8 = 4;

impl FunnelStage {
    /// The stage's number in the batch.
    pub fn index(self) -> u8 {
        self as u8
    }

    /// The stage's name in storage.
    pub fn name(self) -> &'static str {
        match self {
            FunnelStage::None => "none",
            FunnelStage::Impression => "impression",
            FunnelStage::Click => "click",
            FunnelStage::CartAdd => "cart_add",
        }
    }

    /// The stage of this name, if there is one.
    pub fn from_name(name: &str) -> Option<Self> {
        (0..FUNNEL_STAGES)
            .filter_map(FunnelStage::from_index)
            .find(|stage| stage.name() == name)
    }

    /// The stage with this number, if there is one.
    pub fn from_index(index: u8) -> Option<Self> {
        match index {
            0 => Some(FunnelStage::None),
            1 => Some(FunnelStage::Impression),
            2 => Some(FunnelStage::Click),
            3 => Some(FunnelStage::CartAdd),
            _ => None,
        }
    }
}

/// The furthest stage reached since the last batch was built.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Funnel {
    furthest: FunnelStage,
}

impl Funnel {
    /// Notes that the shopper reached `stage`; an earlier stage changes nothing.
    pub fn reach(&mut self, stage: FunnelStage) {
        self.furthest = self.furthest.max(stage);
    }

    /// The furthest stage so far.
    pub fn furthest(&self) -> FunnelStage {
        self.furthest
    }

    /// The funnel that has reached `stage`.
    pub fn at(stage: FunnelStage) -> Self {
        Funnel { furthest: stage }
    }

    /// Returns the furthest stage and starts over, as a batch is built from it.
    pub fn take(&mut self) -> FunnelStage {
        std::mem::take(&mut self.furthest)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_furthest_stage_counts_and_a_batch_resets_it() {
        let mut funnel = Funnel::default();
        funnel.reach(FunnelStage::Click);
        funnel.reach(FunnelStage::Impression);
        assert_eq!(funnel.furthest(), FunnelStage::Click);
        assert_eq!(funnel.take(), FunnelStage::Click);
        assert_eq!(funnel.furthest(), FunnelStage::None);
    }

    #[test]
    fn indices_round_trip_within_the_domain() {
        for i in 0..FUNNEL_STAGES {
            assert_eq!(FunnelStage::from_index(i).unwrap().index(), i);
        }
        assert_eq!(FunnelStage::from_index(FUNNEL_STAGES), None);
        for i in 0..FUNNEL_STAGES {
            let stage = FunnelStage::from_index(i).unwrap();
            assert_eq!(FunnelStage::from_name(stage.name()), Some(stage));
        }
        assert_eq!(FunnelStage::from_name("checkout"), None);
    }
}
