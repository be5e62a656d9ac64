#pragma once
// The PostgreSQL advisory lock (transaction-scoped) around the switch of the
// active read model by `pagewright rebuild --shadow` (docs/ARCHITECTURE.md,
// "Rebuilding without downtime"). Shared here because both sides of it live in
// different libraries: writers of the active read model (projections) and
// readers that need one schema for several statements (queries) take it
// shared; the switch takes it exclusively.
namespace pw::log {

inline constexpr long long kReadModelSwitchLock = 0x70775f7377697463;  // "pw_switc"

}  // namespace pw::log
