export { ImagesList } from './components/images-list';
