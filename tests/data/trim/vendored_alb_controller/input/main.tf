# From cds-snc/notification-terraform (MIT licence), commit
# c446304ce2d4694eb82edf80f6a257eac02c404b, aws/eks/iam.tf: the AWS Load Balancer
# Controller policy, read with file() from the JSON file next to it.
resource "aws_iam_policy" "ALB-eks-controller-policy" {
  name   = "AWSLoadBalancerControllerIAMPolicy"
  policy = file("alb_iam_policy.json")
}
