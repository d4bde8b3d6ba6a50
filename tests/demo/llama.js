import { AutoTokenizer } from 'hubguard';
const tokenizer = await AutoTokenizer.from_pretrained('meta-llama/Llama-2-7b-hf');
const encoded = tokenizer.encode('Hello world!');
console.log(encoded);
