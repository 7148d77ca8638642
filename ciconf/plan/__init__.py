"""`ciconf plan`: which workflows and jobs a CircleCI config runs for one branch or tag push."""
