"""Manyi's emotion engine (issue 3): reads polarity, emotion, intensity and
escalation risk in Chinese and English customer text.

Pure Python: nothing here imports Django, so the engine works on its own
(`from manyi.emotion.engine import Engine`) and in the CRM alike.

- engine: Engine.default().analyze / analyze_many give a Reading; check_reply, guidance;
- text: what the engine reads: any input cleaned, bounded and given a language;
- model: the trained classifier (polarity, eight emotions) and the words behind it;
- cues: escalation cues with their spans, and the signals of intensity;
- lexicon: finer emotions, complaint words and the causes of dissatisfaction;
- replies: the reply checker (what never to say, what a good answer has);
- guidance: the handling steps for a reading, a social style and a temperament;
- scan: many alternative words found in one Aho–Corasick pass;
- train: reproduces the shipped model from the shared data (scikit-learn).
"""
