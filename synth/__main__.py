from synth.entry import main

main()
