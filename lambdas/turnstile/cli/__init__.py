"""`turnstile`: the operator CLI (runs on an operator's machine, never in Lambda: the asset leaves this package out).

It finds Turnstile's resources from the CloudFormation stack's outputs, sends HR events as the HR integration
would (validated first, throttled), and shows what Turnstile did: a user's lifecycle, pending MFA enrolments, key
rotation runs. It never reads a secret's value.
"""
