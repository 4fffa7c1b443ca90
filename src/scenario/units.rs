//! The unit of a scenario key, as the scenario-format reference states it
//! (`docs/scenario-format.md` §4, the `unit` column of each section's table): the one place
//! that says what each key is measured in, read here at compile time so charts can label
//! an axis with what is varied and its unit (`premium.price_month ($/month)`) without a
//! second copy of the table.

/// The scenario-format reference, whose §4 tables give each key's unit.
const REFERENCE: &str = include_str!("../../docs/scenario-format.md");

/// The unit of a dotted key (`premium.price_month`, `device.echo_dot.price.2024`,
/// `costs.fixed_per_year.2026`), or `None` when the reference gives none (a `—`, or a key
/// outside its tables such as an intent's share).
pub fn unit_of(key: &str) -> Option<&'static str> {
    let parts: Vec<&str> = key.split('.').collect();
    let (section, rest) = parts.split_first()?;
    // The key within the section's table: an array section's keys follow the item's name
    // (`device.<name>.price`); a per-year table's year follows the key.
    let mut in_section: Option<&str> = None;
    // Inside a table whose second column is the unit (not `[scenario]`'s types).
    let mut unit_table = false;
    for line in REFERENCE.lines() {
        if let Some(heading) = line.strip_prefix("### `[") {
            // "### `[[device]]` (one or more)" or "### `[premium]` (optional)".
            let array = heading.starts_with('[');
            let name = heading.trim_start_matches('[');
            let name = &name[..name.find(']').unwrap_or(name.len())];
            in_section = (name == *section)
                .then(|| rest.get(usize::from(array)).copied())
                .flatten();
            unit_table = false;
            continue;
        }
        if line.starts_with("## ") {
            in_section = None;
        }
        if line.starts_with("| key | unit |") {
            unit_table = true;
            continue;
        }
        let Some(wanted) = in_section.filter(|_| unit_table) else {
            continue;
        };
        let mut cells = line.split('|').map(str::trim).skip(1);
        let (Some(k), Some(unit)) = (cells.next(), cells.next()) else {
            continue;
        };
        if k.strip_prefix('`').and_then(|k| k.strip_suffix('`')) == Some(wanted) {
            return match unit {
                "" | "—" | "-" => None,
                u => Some(u),
            };
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_come_from_the_reference() {
        assert_eq!(unit_of("premium.price_month"), Some("$/month"));
        assert_eq!(unit_of("costs.fixed_per_year.2026"), Some("$/year"));
        assert_eq!(unit_of("device.echo_dot.price"), Some("$/unit"));
        assert_eq!(unit_of("device.echo_dot.price.2024"), Some("$/unit"));
        assert_eq!(
            unit_of("subscription.ring.churn_per_year"),
            Some("probability/year")
        );
        assert_eq!(unit_of("adoption.potential"), Some("share"));
        assert_eq!(unit_of("premium.wtp_sigma"), None, "a dimensionless key");
        assert_eq!(unit_of("intents.music"), None);
        assert_eq!(unit_of("no_such.key"), None);
        assert_eq!(unit_of("scenario.months"), None, "a type, not a unit");
        // A device named like a key is still a device.
        assert_eq!(unit_of("device.mix.unit_cost"), Some("$/unit"));
    }
}
