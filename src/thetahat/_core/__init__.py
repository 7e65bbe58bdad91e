"""The foundation every layer may import: MINUIT's rules (:mod:`.rules`), dense linear
algebra through LAPACK (:mod:`.linalg`), confidence levels as cost increases (:mod:`.cl`)
and the warning classes (:mod:`.warnings`). Nothing here imports the rest of thetahat."""
