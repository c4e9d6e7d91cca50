company     = "acme"
data_bucket = "acme-analytics-prod"

# Keep this list sorted; teams must exist in local.teams (groups.tf).
people = {
  "alice.nguyen"   = { teams = ["platform", "developers"], console = true }
  "bob.martin"     = { teams = ["developers"], console = true }
  "carol.smith"    = { teams = ["developers"], console = true }
  "dave.okafor"    = { teams = ["developers"], console = true }
  "erin.kowalski"  = { teams = ["data"], console = true }
  "frank.li"       = { teams = ["data"], console = true }
  "grace.hopper"   = { teams = ["platform"], console = true }
  "heidi.schmidt"  = { teams = ["finance"], console = true }
  "ivan.petrov"    = { teams = ["finance", "auditors"], console = true }
  "judy.alvarez"   = { teams = ["auditors"], console = true }
  "mallory.jones"  = { teams = ["developers"], console = true }
  "nina.patel"     = { teams = ["data"], console = true }
}
