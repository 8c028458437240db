//! Where the machine's CPU went during a run: ticks per program (summed over its
//! processes, from /proc) and the machine's idle share.

use std::collections::BTreeMap;

/// CPU ticks so far, per program name, plus the machine's busy and idle ticks.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    pub by_program: BTreeMap<String, u64>,
    pub busy: u64,
    pub idle: u64,
}

pub fn snapshot() -> Snapshot {
    let mut s = Snapshot::default();
    if let Ok(stat) = std::fs::read_to_string("/proc/stat") {
        if let Some(cpu) = stat.lines().next() {
            let v: Vec<u64> = cpu
                .split_whitespace()
                .skip(1)
                .filter_map(|x| x.parse().ok())
                .collect();
            if v.len() >= 5 {
                s.idle = v[3] + v[4];
                s.busy = v.iter().sum::<u64>() - s.idle;
            }
        }
    }
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return s;
    };
    for entry in dir.flatten() {
        let path = entry.path().join("stat");
        let Ok(text) = std::fs::read_to_string(path) else {
            continue;
        };
        // pid (comm) state ... utime stime: the name may hold spaces, so split at ')'.
        let (Some(open), Some(close)) = (text.find('('), text.rfind(')')) else {
            continue;
        };
        let name = text[open + 1..close].to_string();
        let fields: Vec<&str> = text[close + 2..].split_whitespace().collect();
        let ticks = |i: usize| {
            fields
                .get(i)
                .and_then(|f| f.parse::<u64>().ok())
                .unwrap_or(0)
        };
        *s.by_program.entry(name).or_default() += ticks(11) + ticks(12);
    }
    s
}

/// The share of the machine each program used between `before` and `after` (100% is
/// one core), the busiest first.
pub fn report(before: &Snapshot, after: &Snapshot) -> String {
    let total = (after.busy + after.idle)
        .saturating_sub(before.busy + before.idle)
        .max(1);
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get()) as f64;
    let share = |ticks: u64| 100.0 * ticks as f64 / total as f64 * cores;
    let mut used: Vec<(String, u64)> = after
        .by_program
        .iter()
        .map(|(k, v)| {
            (
                k.clone(),
                v.saturating_sub(before.by_program.get(k).copied().unwrap_or(0)),
            )
        })
        .filter(|(_, v)| *v > 0)
        .collect();
    used.sort_by_key(|u| std::cmp::Reverse(u.1));
    let idle = after.idle.saturating_sub(before.idle);
    let mut out: Vec<String> = used
        .iter()
        .take(6)
        .map(|(name, ticks)| format!("{name} {:.0}%", share(*ticks)))
        .collect();
    out.push(format!("idle {:.0}%", share(idle)));
    out.join(", ")
}
