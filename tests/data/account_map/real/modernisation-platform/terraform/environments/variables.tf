variable "github_token" {
  description = "Privileged GitHub token"
  type        = string
  sensitive   = true
}
