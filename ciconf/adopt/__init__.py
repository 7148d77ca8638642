"""Adopting ciconf: `ciconf import` (an existing CircleCI config to a profile) and `ciconf init`
(a profile scaffolded from the repository's files). Sits beside lint and plan in the flow: it
reads configs with the plan's readers and writes profiles that ciconf's own loader accepts."""
