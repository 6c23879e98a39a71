"""PTZ benchmark: how long from a move command until the picture moves and the recorder's masks know, and how many
pixels of a PTZ-fixed privacy mask's scene leak per frame during a pan and a zoom, beside a naive follower (GetStatus
once a second, masks placed exactly where that says) in the same run. See bench/README.md."""
