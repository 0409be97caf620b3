// Placeholder entry point; verbs are added under Commands/.
return 0;
