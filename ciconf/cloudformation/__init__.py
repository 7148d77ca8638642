"""The AWS side: one CloudFormation pipeline stack per account (ECR source -> CodeBuild -> ECS)."""
