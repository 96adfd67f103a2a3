"""Authentication and authorisation: token verification, claims and permission resolution.

Pure code (no AWS calls). `tokens.TokenVerifier` turns a JWT into `claims.Claims`;
`permissions.Permissions` answers what those claims allow on a channel. Import from the
submodules; this package deliberately re-exports nothing, so importing the permission
resolver does not load pyjwt and cryptography.
"""
