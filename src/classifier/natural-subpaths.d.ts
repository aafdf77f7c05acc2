// natural ships types only for its index, and its index loads storage back-ends that call
// dotenv.config(); we import single files by subpath instead, typed here.
declare module 'natural/lib/natural/util/stopwords' {
  export const words: string[];
}
