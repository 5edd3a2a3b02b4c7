use std::fmt;

use crate::id::{PointOfSaleId, ShipmentModeId};
use crate::interface::TixngoInterface;
use crate::point_of_sale::{DownloadedTakeBack, PointOfSale};
use crate::ticket::InvalidationReason;

/// A setting that would make a mobile take back fail or misbehave, with the setting to change.
///
/// `Display` gives the operator's message.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConfigurationProblem {
    /// Take back settings are set on a POS that is not of an Internet B2B channel, where they do
    /// nothing.
    NotB2b {
        /// The POS.
        point_of_sale: PointOfSaleId,
    },
    /// B1 is on but B2's advanced distribution view is off: every mobile take back is refused.
    AdvancedViewInactive {
        /// The POS.
        point_of_sale: PointOfSaleId,
    },
    /// B1 is on but the interface would inject replacements back to the latest owner (B8, B9):
    /// every mobile take back is refused.
    ReplacementGoesToLatestOwner {
        /// The POS.
        point_of_sale: PointOfSaleId,
    },
    /// `downloaded_take_back` is on while B1's mobile take back is off (D1): no downloaded ticket
    /// could be taken back.
    DownloadedTakeBackWithoutMobileTakeBack {
        /// The point of sale.
        point_of_sale: PointOfSaleId,
        /// Its downloaded take-back setting.
        setting: DownloadedTakeBack,
    },
    /// The take-back shipment mode is a secure mobile mode that S360 injects automatically: the
    /// replacement would be injected again before the customer can redistribute it.
    TakeBackModeInjectsAutomatically {
        /// The POS.
        point_of_sale: PointOfSaleId,
        /// The shipment mode.
        shipment_mode: ShipmentModeId,
    },
}

impl ConfigurationProblem {
    /// The exact setting to change, as S360's screens name it.
    #[must_use]
    pub const fn setting(&self) -> &'static str {
        match self {
            Self::NotB2b { .. } => "POS > Internet Parameters > Distribution",
            Self::AdvancedViewInactive { .. } => {
                "POS > Internet theme > Advanced: distribution.list.activateAdvancedView"
            }
            Self::ReplacementGoesToLatestOwner { .. } => {
                "TIXnGO interface > General > custom parameter resetInjectionInvalidationReasons"
            }
            Self::TakeBackModeInjectsAutomatically { .. } => {
                "POS > Internet Parameters > Distribution: Assign the taken back ticket to a new shipment mode"
            }
            Self::DownloadedTakeBackWithoutMobileTakeBack { .. } => {
                "POS > Internet Parameters > Distribution: Allow taking back the injected mobile ticket"
            }
        }
    }
}

impl fmt::Display for ConfigurationProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotB2b { point_of_sale } => write!(
                f,
                "point of sale {point_of_sale} is not of an Internet B2B channel, so its take-back settings do \
                 nothing; turn them off ({})",
                self.setting()
            ),
            Self::AdvancedViewInactive { point_of_sale } => write!(
                f,
                "point of sale {point_of_sale} allows mobile take back but the advanced distribution view is off; \
                 set distribution.list.activateAdvancedView = true ({})",
                self.setting()
            ),
            Self::ReplacementGoesToLatestOwner { point_of_sale } => write!(
                f,
                "point of sale {point_of_sale} allows mobile take back but the TIXnGO interface would inject \
                 replacements back to the latest owner; add {} to resetInjectionInvalidationReasons ({})",
                InvalidationReason::MOBILE_TAKE_BACK,
                self.setting()
            ),
            Self::DownloadedTakeBackWithoutMobileTakeBack {
                point_of_sale,
                setting,
            } => write!(
                f,
                "point of sale {point_of_sale} takes back downloaded tickets ({setting}) but does not allow taking \
                 back injected mobile tickets, so none would be; tick it, or set downloaded take back to OFF ({})",
                self.setting()
            ),
            Self::TakeBackModeInjectsAutomatically {
                point_of_sale,
                shipment_mode,
            } => write!(
                f,
                "point of sale {point_of_sale} assigns taken-back tickets to shipment mode {shipment_mode}, a secure \
                 mobile mode injected automatically, so they would be injected again before being redistributed; \
                 choose another mode ({})",
                self.setting()
            ),
        }
    }
}

/// Lists every problem a mobile take back through `point_of_sale` would hit with this TIXnGO
/// interface, so S360 can show them on the POS configuration screen before anyone tries (B1, B2,
/// B8, B9). An empty list means the configuration is sound. A POS with take back off has no
/// problems to report.
///
/// # Examples
///
/// ```
/// use secure_ticket::take_back::{check_configuration, ConfigurationProblem};
/// use secure_ticket::{PointOfSale, PointOfSaleId, TixngoInterface};
///
/// let pos = PointOfSale::b2b(secure_ticket::OrganizerId::from_u128(1), PointOfSaleId::from_u128(1)).with_mobile_take_back(true);
/// let problems = check_configuration(&pos, &TixngoInterface::default());
/// assert_eq!(problems, vec![
///     ConfigurationProblem::AdvancedViewInactive { point_of_sale: pos.id },
///     ConfigurationProblem::ReplacementGoesToLatestOwner { point_of_sale: pos.id },
/// ]);
/// assert!(problems[1].to_string().contains("resetInjectionInvalidationReasons"));
/// ```
#[must_use]
pub fn check_configuration(
    point_of_sale: &PointOfSale,
    interface: &TixngoInterface,
) -> Vec<ConfigurationProblem> {
    let id = point_of_sale.id;
    let mut problems = Vec::new();
    if !point_of_sale.allow_mobile_take_back {
        // D1: a downloaded take back rests on B1's switch.
        if !point_of_sale.downloaded_take_back.is_off() {
            problems.push(
                ConfigurationProblem::DownloadedTakeBackWithoutMobileTakeBack {
                    point_of_sale: id,
                    setting: point_of_sale.downloaded_take_back,
                },
            );
        }
        return problems;
    }
    if !point_of_sale.b2b {
        problems.push(ConfigurationProblem::NotB2b { point_of_sale: id });
    }
    if !point_of_sale.advanced_view() {
        problems.push(ConfigurationProblem::AdvancedViewInactive { point_of_sale: id });
    }
    if !interface.resets_injection_for(&InvalidationReason::MobileTakeBack) {
        problems.push(ConfigurationProblem::ReplacementGoesToLatestOwner { point_of_sale: id });
    }
    if let Some(mode) = point_of_sale.take_back_shipment_mode
        && mode.is_secure_mobile()
        && mode.automatic_injection
    {
        problems.push(ConfigurationProblem::TakeBackModeInjectsAutomatically {
            point_of_sale: id,
            shipment_mode: mode.id,
        });
    }
    problems
}
